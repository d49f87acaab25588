"""The SDK's typed stream events from the wire: progress (ETA absent until known) and an event
kind from a newer daemon, which the SDK skips instead of mistaking it for the answer."""

from __future__ import annotations

from privsplit.client import StreamEvent
from privsplit.shared.proto import edge


def test_progress_events_are_typed_and_an_unknown_eta_is_none() -> None:
    first = StreamEvent.from_pb(
        edge.StreamAskResponse(progress=edge.AskProgress(stage="read", done=0, total=4))
    )
    assert first is not None and first.kind == "progress" and first.progress is not None
    assert (first.progress.done, first.progress.total, first.progress.eta_seconds) == (0, 4, None)
    later = edge.AskProgress(stage="read", done=2, total=4, elapsed_seconds=6.0, eta_seconds=6.0)
    event = StreamEvent.from_pb(edge.StreamAskResponse(progress=later))
    assert event is not None and event.progress is not None
    assert (event.progress.eta_seconds, event.progress.fraction) == (6.0, 0.5)


def test_an_event_this_sdk_does_not_know_is_not_an_answer() -> None:
    assert StreamEvent.from_pb(edge.StreamAskResponse()) is None
    done = StreamEvent.from_pb(edge.StreamAskResponse(done=edge.AskResponse(answer="hi")))
    assert done is not None and done.kind == "done" and done.answer.reid is None
