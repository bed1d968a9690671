"""seqcli.charlm.data: the batch shape fitted to the corpus."""

import pytest

from seqcli.charlm.data import fit_batch_shape
from seqcli.errors import SeqcliError

pytestmark = pytest.mark.usefixtures("one_thread")


def test_batch_shape_shrinks_for_a_short_corpus():
    assert fit_batch_shape(10_000, 64, 128) == (64, 128)
    b, t = fit_batch_shape(300, 64, 128)
    assert b * (t + 1) <= 300 and b >= 1
    b, t = fit_batch_shape(50, 64, 128)
    assert (b, t) == (1, 49)
    with pytest.raises(SeqcliError, match="at least 2"):
        fit_batch_shape(1, 64, 128)
