"""classdyn.validation.report: what the report says about each of the paper's Results."""

from classdyn.validation.report import results_verdicts


def test_report_result_row_says_what_is_waiting():
    recs = [{"name": "x", "status": "waiting", "results": {"4": "RF side reproduced; DDPM side "
                                                               "waiting for runs"}},
            {"name": "y", "status": "pass", "results": {"2": True}}]
    v = results_verdicts(recs)
    assert v["4"]["verdict"] == "RF side reproduced; DDPM side waiting for runs"
    assert v["2"]["verdict"] == "reproduced"
    recs.append({"name": "z", "status": "fail", "results": {"4": False}})
    assert results_verdicts(recs)["4"]["verdict"] == "not reproduced"
