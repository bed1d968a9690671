"""seqcli.int8: an int8 matrix product against the float32 one."""

import pytest
import torch
import torch.nn.functional as F

from seqcli import int8

# tiny models run fastest on one thread without oneDNN (see test_search.py)
pytestmark = [pytest.mark.numeric, pytest.mark.usefixtures("one_thread", "no_onednn")]


def test_int8_linear_is_close_to_float32():
    torch.manual_seed(0)
    weight, bias, x = torch.randn(512, 256), torch.randn(512), torch.randn(8, 256)
    exact = F.linear(x, weight, bias)
    error = (int8.linear(weight, bias)(x) - exact).abs().max()
    assert error < 0.02 * exact.abs().max()
