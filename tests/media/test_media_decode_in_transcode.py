"""The processing job decodes an upload once: validate(decode=False), then the transcode's own decode judges
what validate's full decode judged, with the same rejection codes for the same files."""
from __future__ import annotations

import sys

import pytest

from lms.media import FFmpegError, Limits, MediaRejected, make_renditions, probe, validate
from lms.media import ffmpeg as wrapper
from tests.media.test_media_validate import BAD_FILES


def _pipeline(path, limits: Limits, out_dir):
    """What lms.uploads.tasks does with an upload."""
    info = validate(path, limits, decode=False)
    return make_renditions(path, out_dir, duration=info.duration, max_seconds=limits.max_seconds, info=info,
                           limits=limits)


@pytest.mark.parametrize("case", BAD_FILES, ids=list(BAD_FILES))
def test_same_files_rejected_with_the_same_codes(clips, tmp_path, case):
    """Is every file validate() rejects (truncated, lying headers, too long …) rejected by the one-decode
    pipeline too, with the same code, and without a web video left behind?"""
    make, limits, code = BAD_FILES[case]
    with pytest.raises(MediaRejected) as caught:
        _pipeline(make(clips, tmp_path), limits, tmp_path / "out")
    assert caught.value.code == code
    assert not (tmp_path / "out" / "video.mp4").exists()


@pytest.mark.parametrize("name", ["valid", "faststart", "mkv", "silent", "rotated"])
def test_valid_files_are_decoded_once(clips, tmp_path, monkeypatch, name):
    """Does a good upload pass with a single ffmpeg read of the original (the transcode's decode, or for an
    MP4 browsers play as it is the stream copy's read), where it took two before (validate's full decode,
    then the transcode)?"""
    source = getattr(clips, name)
    reads = []
    real_run = wrapper.run

    def counting_run(argv, **kwargs):
        if argv[0] == wrapper.ffmpeg_bin() and wrapper.file_url(source) in argv:
            reads.append(argv)
        return real_run(argv, **kwargs)

    monkeypatch.setattr(wrapper, "run", counting_run)
    made = _pipeline(source, Limits(), tmp_path / "out")
    assert len(reads) == 1
    copied = name in ("valid", "faststart", "silent", "rotated")  # H.264/AAC in MP4: the fast path
    assert ("filter_units=pass_types=7" in reads[0]) if copied else ("-xerror" in reads[0])
    assert made.duration == pytest.approx(2.0, abs=0.15)


def test_browser_recording_gets_its_duration_from_the_transcode(clips, tmp_path):
    """Does a WebM without a duration in its header pass, its length measured by the transcode's decode?"""
    assert validate(clips.browser_webm, decode=False).duration is None
    # The progress bar's estimate meanwhile: how far its packets reach, read without decoding.
    assert sys.modules["lms.media.transcode"]._demuxed_seconds(clips.browser_webm, 100) == pytest.approx(2.0, abs=0.15)
    made = _pipeline(clips.browser_webm, Limits(), tmp_path / "out")
    assert made.duration == pytest.approx(2.0, abs=0.15)
    assert probe(made.mp4).duration == pytest.approx(2.0, abs=0.15)


def test_a_failure_of_ours_is_not_blamed_on_the_file(clips, tmp_path, monkeypatch):
    """When the transcode fails for a reason of ours (here the encoder refuses its options), is that a
    retryable FFmpegError rather than a rejection that would tell the student the file is damaged? (A
    Matroska clip: an MP4 of the same streams would be copied, not encoded.)"""
    transcode_module = sys.modules["lms.media.transcode"]  # the package's `transcode` is the function
    real = transcode_module.transcode

    def broken_encoder(*args, **kwargs):
        return real(*args, **{**kwargs, "preset": "no-such-preset"})

    monkeypatch.setattr(transcode_module, "transcode", broken_encoder)
    with pytest.raises(FFmpegError) as caught:
        _pipeline(clips.mkv, Limits(), tmp_path / "out")
    assert not isinstance(caught.value, MediaRejected)
