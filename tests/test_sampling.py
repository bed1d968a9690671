import torch

from seqcli.charlm.decode import filter_logits, pick

LOGITS = torch.log(torch.tensor([[0.5, 0.2, 0.15, 0.1, 0.05]]))


def kept(logits):
    return torch.isfinite(logits)[0].tolist()


def test_top_k_keeps_the_k_largest():
    assert kept(filter_logits(LOGITS, top_k=2)) == [True, True, False, False, False]
    assert kept(filter_logits(LOGITS, top_k=0)) == [True] * 5


def test_top_p_keeps_the_smallest_nucleus_reaching_p():
    # cumulative mass: 0.5, 0.7, 0.85, 0.95, 1.0
    assert kept(filter_logits(LOGITS, top_p=0.5)) == [True, False, False, False, False]
    assert kept(filter_logits(LOGITS, top_p=0.6)) == [True, True, False, False, False]
    assert kept(filter_logits(LOGITS, top_p=0.85)) == [True, True, True, False, False]
    assert kept(filter_logits(LOGITS, top_p=0.01)) == [True, False, False, False, False]
    assert kept(filter_logits(LOGITS, top_p=1.0)) == [True] * 5


def test_top_p_works_on_unsorted_rows():
    logits = LOGITS[:, [3, 0, 4, 2, 1]].repeat(2, 1)
    assert (
        torch.isfinite(filter_logits(logits, top_p=0.6)).tolist()
        == [[False, True, False, False, True]] * 2
    )


def test_temperature_zero_is_argmax():
    logits = torch.randn(8, 30)
    assert torch.equal(pick(logits, temperature=0), logits.argmax(-1))


def test_sampling_follows_the_tempered_distribution():
    g = torch.Generator().manual_seed(0)
    logits = LOGITS.repeat(20_000, 1)
    for temperature in (1.0, 0.5):
        ids = pick(logits, temperature=temperature, generator=g)
        freq = torch.bincount(ids, minlength=5).float() / len(ids)
        expected = (LOGITS[0] / temperature).softmax(-1)
        assert torch.allclose(freq, expected, atol=0.015), temperature


def test_filtered_tokens_are_never_sampled():
    g = torch.Generator().manual_seed(0)
    ids = pick(LOGITS.repeat(5000, 1), temperature=1.0, top_p=0.7, generator=g)
    assert set(ids.tolist()) == {0, 1}
