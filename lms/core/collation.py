"""How people's names sort: a collation key kept beside each name (`User.sort_key`, `Membership.sort_key`).

Ordered by the name itself, a class of 张三, Alice and 陈美和 reads Alice, 张三, 陈美和: Unicode puts 张 (U+5F20)
before 陈 (U+9648), an order no reader knows. Ordered by this key it reads Alice, 陈美和, 张三: Chinese names by
their pinyin among the Latin ones, the order of a Chinese class list, a phone's contacts or DingTalk's member
list (what ICU's "zh" pinyin collation gives). The key is kept in the database so that lists paged in SQL
(the members, the gradebook, the console) sort by it too.
"""
from __future__ import annotations

import functools
import unicodedata

from lms.core.inputs import comparison_key

#: the key's stored length (characters); names that differ only beyond it sort by the next ordering column
KEY_LENGTH = 200


@functools.lru_cache(maxsize=4096)
def sort_key(name: str | None) -> str:
    """`name`'s collation key, a lower-case string of at most KEY_LENGTH characters.

    Each Han character, Simplified or Traditional, becomes its Mandarin pinyin without tone, read by pypinyin
    (the reading of the word it is part of, else the character's most common one; ü as "v", as pinyin input
    methods type it). Latin letters are case-folded and lose their accents. Spaces collapse to one. Other
    characters stay as they are.

    "张三" → "zhang san", "陳美和David" → "chen mei he david", "Émile Zola" → "emile zola". Two names
    with one key (张三 and 章三) are told apart by the caller's next ordering column.

    pypinyin is imported on the first call; its dictionaries take about 60 MB for the life of the process.
    """
    text = comparison_key(name)
    if not text:
        return ""
    if any(_is_han(ch) for ch in text):
        from pypinyin import Style, lazy_pinyin

        text = " ".join(lazy_pinyin(text, style=Style.NORMAL))
    bare = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return " ".join(bare.split())[:KEY_LENGTH]


def _is_han(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith(("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH"))
