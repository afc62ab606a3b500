"""What the users' requests of one phase saw: percentiles, statuses, refusals and charges."""

from __future__ import annotations

from bench.interactive_load import Answer, Latencies


def latencies(*seconds: float, status: int = 200) -> Latencies:
    return Latencies(tuple(Answer(s, status, 1.5) for s in seconds))


def test_percentiles_are_of_the_answers_latencies() -> None:
    phase = latencies(*(n / 1000 for n in range(1, 101)))  # 1 ms .. 100 ms
    assert (phase.p50, phase.p99, phase.max) == (0.0505, 0.1, 0.1)


def test_statuses_are_counted_and_refusals_are_those_users_must_not_see() -> None:
    phase = Latencies(
        (
            Answer(0.01, 200, 1.0),
            Answer(0.02, 429, 0.0),
            Answer(0.03, 503, 0.0),
            Answer(1, 200, 5.5),
        )
    )
    assert phase.statuses == {"200": 2, "429": 1, "503": 1}
    assert phase.refused(429, 503) == 2
    assert phase.request_charge == 6.5
