from tests.chat.support import send


def test_smoke(world, client_as, page_of):
    c = client_as(world.user("student"))
    r = c.get(f"/c/{world.circle.id}/chat", follow_redirects=True)
    assert r.status_code == 200, r.get_data(as_text=True)[:2000]
    send(world, "teacher", "Hello **class**")
    r = c.get(f"/c/{world.circle.id}/chat/{world.main.id}")
    assert "<strong>class</strong>" in r.get_data(as_text=True)
    p = page_of(world.user("student"))
    j = p.emit("join", {"circle_id": world.circle.id})
    assert j["ok"], j
    o = p.emit("open", {"channel_id": world.main.id})
    assert o["ok"], o
    s = p.emit("send", {"channel_id": world.main.id, "body": "hi"})
    assert s["ok"], s
    p.wait_for("message", lambda d: d["message"]["text"] == "hi")
