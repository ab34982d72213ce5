"""Reading wrk's summary, which the topology test and the HTTP benchmarks both rely on.

The outputs are wrk 4.1's own (captured against a loopback server), with the socket-error
line wrk prints when connections fail added to the second one."""

from __future__ import annotations

import pytest

from tests.topology.load import parse_wrk

WITH_LATENCY = """\
Running 1s test @ http://127.0.0.1:18765/
  1 threads and 2 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.73ms    4.61ms  38.46ms   90.62%
    Req/Sec   670.90    194.01     0.93k    60.00%
  Latency Distribution
     50%    1.95ms
     75%    4.69ms
     90%    7.97ms
     99%   26.48ms
  671 requests in 1.00s, 122.54KB read
Requests/sec:    668.21
Transfer/sec:    122.03KB
"""

WITH_ERRORS = """\
Running 1s test @ http://127.0.0.1:18765/nope
  1 threads and 2 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.16ms    3.44ms  27.01ms   88.89%
    Req/Sec   760.80    238.76     1.12k    80.00%
  757 requests in 1.00s, 384.41KB read
  Socket errors: connect 1, read 2, write 0, timeout 4
  Non-2xx or 3xx responses: 757
Requests/sec:    755.78
Transfer/sec:    383.80KB
"""


def test_a_clean_run_with_latency_percentiles() -> None:
    result = parse_wrk(WITH_LATENCY)

    assert (result.requests, result.requests_per_second, result.non_2xx) == (671, 668.21, 0)
    assert result.socket_errors == {"connect": 0, "read": 0, "write": 0, "timeout": 0}
    assert result.latency_ms == pytest.approx({50: 1.95, 90: 7.97, 99: 26.48})


def test_errors_and_non_2xx_are_counted_by_kind() -> None:
    result = parse_wrk(WITH_ERRORS)

    assert (result.requests, result.requests_per_second, result.non_2xx) == (757, 755.78, 757)
    assert result.socket_errors == {"connect": 1, "read": 2, "write": 0, "timeout": 4}
    assert result.latency_ms == {50: None, 90: None, 99: None}


@pytest.mark.parametrize(
    ("text", "ms"), [("950.00us", 0.95), ("1.50s", 1500.0), ("2.00m", 120_000.0)]
)
def test_latency_units(text: str, ms: float) -> None:
    output = WITH_LATENCY.replace("26.48ms", text)

    assert parse_wrk(output).latency_ms[99] == pytest.approx(ms)


def test_an_unfinished_run_fails() -> None:
    with pytest.raises(AssertionError):
        parse_wrk("unable to connect to 127.0.0.1:18766 Connection refused\n")
