"""The recurrent cells: the scan against autograd, stepping against whole windows,
padding against unpadded rows, and old weights' names."""

import pytest
import torch
from torch import nn

from seqcli import cells
from seqcli.cells import CELLS, flip_within, scan, stack

pytestmark = pytest.mark.numeric


def test_scan_matches_a_loop_and_its_gradients_check():
    torch.manual_seed(0)
    a = torch.rand(7, 3, 4, dtype=torch.double, requires_grad=True)
    b = torch.randn(7, 3, 4, dtype=torch.double, requires_grad=True)
    h0 = torch.randn(3, 4, dtype=torch.double, requires_grad=True)
    h, expected = h0, []
    for t in range(7):
        h = a[t] * h + b[t]
        expected.append(h)
    assert torch.allclose(scan(a, b, h0), torch.stack(expected))
    assert torch.autograd.gradcheck(scan, (a, b, h0))


def test_mingru_is_the_recurrence_it_names():
    torch.manual_seed(0)
    m = stack("mingru", 3, 2).double()
    x = torch.randn(1, 5, 3, dtype=torch.double)
    w, bias = m.layers[0].weight, m.layers[0].bias
    h = torch.zeros(2, dtype=torch.double)
    for t in range(5):
        g = w @ x[0, t] + bias
        z, c = torch.sigmoid(g[:2]), torch.tanh(g[2:])
        h = (1 - z) * h + z * c
    out, (final,) = m(x)
    assert torch.allclose(out[0, -1], h) and torch.allclose(final[0, 0], h)


@pytest.mark.parametrize("cell", CELLS)
def test_one_step_at_a_time_equals_the_whole_window(cell):
    torch.manual_seed(1)
    m = stack(cell, 5, 6, 2, dropout=0.3).double().eval()
    x = torch.randn(3, 9, 5, dtype=torch.double)
    whole, final = m(x)
    state, steps = None, []
    for t in range(9):
        out, state = m(x[:, t : t + 1], state)
        steps.append(out)
    assert torch.allclose(torch.cat(steps, 1), whole)
    assert len(state) == len(m.state_names) == (2 if cell == "lstm" else 1)
    assert all(torch.allclose(s, f) for s, f in zip(state, final, strict=True))


@pytest.mark.parametrize("cell", CELLS)
def test_padded_rows_equal_each_row_alone_in_both_directions(cell):
    torch.manual_seed(2)
    m = stack(cell, 5, 6, 2, bidirectional=True).double().eval()
    x = torch.randn(3, 9, 5, dtype=torch.double)
    lengths = torch.tensor([9, 4, 6])
    out, state = m(x, lengths=lengths)
    assert out.shape == (3, 9, 12)
    for i, n in enumerate(lengths.tolist()):
        alone, alone_state = m(x[i : i + 1, :n])
        assert torch.allclose(out[i, :n], alone[0])
        for s, a in zip(state, alone_state, strict=True):
            assert torch.allclose(s[:, i], a[:, 0])


def test_flip_within_reverses_each_row_inside_its_length():
    x = torch.arange(8).view(2, 4)
    assert flip_within(x, torch.tensor([4, 2])).tolist() == [[3, 2, 1, 0], [5, 4, 6, 7]]


def test_lstm_weights_saved_under_the_old_name_load():
    class Old(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(3, 4, batch_first=True)

    class New(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = stack("lstm", 3, 4)
            cells.load_renamed(self, "lstm", "rnn")

    old, new = Old(), New()
    new.load_state_dict(old.state_dict())
    x = torch.randn(2, 5, 3)
    assert torch.equal(new.rnn(x)[0], old.lstm(x)[0])


def test_onednn_is_off_for_few_rows_and_restored():
    before = torch.backends.mkldnn.enabled
    with cells.onednn_for(1):
        assert not torch.backends.mkldnn.enabled
    with cells.onednn_for(cells.ONEDNN_ROWS):
        assert torch.backends.mkldnn.enabled
    assert torch.backends.mkldnn.enabled == before
