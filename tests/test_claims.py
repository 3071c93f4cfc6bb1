"""Claims: a sentence prints as written only while its condition holds on the data."""
from helpers.report.claims import UNSUPPORTED, claim, claims_in


def test_a_claim_that_holds_prints_as_written_and_is_counted():
    out = claim("Thinking helps.", holds=True, evidence="gain +5%")
    assert "Thinking helps." in out and UNSUPPORTED not in out
    assert claims_in(out) == (1, 0)


def test_a_claim_whose_condition_is_false_is_marked_with_its_evidence():
    import numpy as np
    out = claim("Thinking helps.", holds=np.bool_(False), evidence="gain -2%, 95% interval -5% to +1%")
    assert f"[{UNSUPPORTED}: gain -2%, 95% interval -5% to +1%]" in out and "~~Thinking helps.~~" in out
    assert claims_in(out + claim("x", True)) == (2, 1)
