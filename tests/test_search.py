"""Greedy and beam search against brute force, each other, and themselves batched."""

import itertools

import numpy as np
import pytest
import torch

from seqcli.data import pad
from seqcli.search import beam_search, greedy, max_lengths
from seqcli.translator.config import TranslatorConfig
from seqcli.translator.data import target_in_out
from seqcli.translator.model import Translator

EOS = Translator.eos_index

# the search settings of these tests, where a test does not set its own
SEARCH = {"length_penalty": 1.0}


# tiny models step fastest on one thread without oneDNN (which spends seconds
# preparing each new shape); with 2 threads on a busy machine, each op waits
pytestmark = pytest.mark.usefixtures("one_thread", "no_onednn")


def make_model(seed=0, tgt_vocab=7, **settings):
    """A tiny untrained translator; a larger init makes its choices less uniform."""
    torch.manual_seed(seed)
    cfg = TranslatorConfig(
        src_vocab_size=9, tgt_vocab_size=tgt_vocab, embedding=6, hidden=8, dropout=0.0
    )
    for key, value in settings.items():
        setattr(cfg, key, value)
    model = Translator(cfg).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(3.0)
    return model


def make_sources(n=5, seed=1):
    g = torch.Generator().manual_seed(seed)
    seqs = [
        torch.randint(4, 9, (int(torch.randint(1, 6, (1,), generator=g)),), generator=g)
        for _ in range(n)
    ]
    return pad([s.tolist() for s in seqs], 0)


@torch.no_grad()
def sequence_log_probs(model, src, length, sequences):
    """Log-probabilities of each sequence + <eos> under the model (teacher forced)."""
    tgt_in, tgt_out = target_in_out(sequences)
    n = len(sequences)
    memory = model.encode(src[None], torch.tensor([length]))
    logits, _ = model.decode(tgt_in, memory.select(torch.zeros(n, dtype=torch.long)))
    # shape: (n, steps)
    picked = logits.log_softmax(-1).gather(2, tgt_out[..., None]).squeeze(2)
    return picked.masked_fill(tgt_out == model.pad_index, 0.0).sum(1).tolist()


VARIANTS = [
    {},
    {"attention": "bahdanau"},
    {"input_feeding": True},
    {"tie_embeddings": False, "decoder_layers": 2, "encoder_layers": 2},
    {"context_layer": True, "deep_output": True},
    {"cell": "gru", "input_feeding": True},
    {"cell": "mingru", "decoder_layers": 2, "encoder_layers": 2},
    {"cell": "mingru", "context_layer": True, "input_feeding": True},
]


@pytest.mark.parametrize("settings", VARIANTS)
def test_wide_beam_finds_the_brute_force_best(settings):
    model = make_model(**settings)
    src, lengths = make_sources(3)
    limit = 3  # outputs of at most 2 words, then <eos>
    words = [i for i in range(model.cfg.tgt_vocab_size) if i not in (*model.banned,)]
    words.remove(EOS)
    found = beam_search(
        model,
        src,
        lengths,
        beam=40,
        length_penalty=0,
        max_len_ratio=0.0,
        max_len_extra=limit,
    )
    for row in range(src.size(0)):
        every = [
            list(seq)
            for n in range(limit)
            for seq in itertools.product(words, repeat=n)
        ]
        scores = sequence_log_probs(model, src[row], lengths[row], every)
        best = max(range(len(every)), key=scores.__getitem__)
        assert found[row][0].ids == every[best]
        assert found[row][0].log_prob == pytest.approx(scores[best], abs=1e-4)


@pytest.mark.parametrize("settings", VARIANTS)
def test_beam_of_one_is_greedy(settings):
    model = make_model(seed=3, **settings)
    src, lengths = make_sources(6)
    by_greedy = greedy(model, src, lengths, **SEARCH, max_len_ratio=2.0)
    by_beam = beam_search(model, src, lengths, beam=1, **SEARCH, max_len_ratio=2.0)
    for g, (b,) in zip(by_greedy, by_beam, strict=True):
        assert b.ids == g.ids
        assert b.alignment == g.alignment
        assert b.log_prob == pytest.approx(g.log_prob, abs=1e-4)


def test_greedy_scores_are_the_model_log_probabilities():
    model = make_model(seed=4)
    src, lengths = make_sources(4)
    for row, hyp in enumerate(
        greedy(model, src, lengths, max_len_ratio=1.5, length_penalty=0)
    ):
        (expected,) = sequence_log_probs(model, src[row], lengths[row], [hyp.ids])
        assert hyp.log_prob == pytest.approx(expected, abs=1e-4)
        assert hyp.score == hyp.log_prob  # length penalty 0: no normalisation


def test_n_best_is_sorted_distinct_and_normalised():
    model = make_model(seed=5, tgt_vocab=12)
    src, lengths = make_sources(4)
    for penalty in (0.0, 1.0):
        found = beam_search(
            model,
            src,
            lengths,
            beam=6,
            n_best=4,
            max_len_ratio=1.5,
            length_penalty=penalty,
        )
        for hyps in found:
            assert len(hyps) == 4
            scores = [h.score for h in hyps]
            assert scores == sorted(scores, reverse=True)
            assert len({tuple(h.ids) for h in hyps}) == 4
            for h in hyps:
                assert h.score == pytest.approx(
                    h.log_prob / (len(h.ids) + 1) ** penalty
                )
                assert EOS not in h.ids and len(h.alignment) == len(h.ids)


def test_outputs_respect_the_length_limit_relative_to_the_source():
    model = make_model(seed=6)
    src, lengths = make_sources(6)
    limits = max_lengths(lengths, 0.5, 2)
    outputs = [
        [
            h.ids
            for h in greedy(
                model,
                src,
                lengths,
                max_len_ratio=0.5,
                max_len_extra=2,
                length_penalty=1.0,
            )
        ],
        [
            h[0].ids
            for h in beam_search(
                model,
                src,
                lengths,
                beam=3,
                max_len_ratio=0.5,
                max_len_extra=2,
                length_penalty=1.0,
            )
        ],
    ]
    for ids in outputs:
        for seq, limit in zip(ids, limits.tolist(), strict=True):
            assert len(seq) + 1 <= limit  # <eos> counted


def test_greedy_batched_equals_one_sentence_at_a_time():
    model = make_model(seed=8, tgt_vocab=10)
    src, lengths = make_sources(24, seed=3)
    rows = []  # rows computed at each step: ended sentences leave the batch
    step = model.step
    model.step = lambda prev, *rest: (rows.append(prev.numel()), step(prev, *rest))[1]
    batched = greedy(model, src, lengths, **SEARCH, max_len_ratio=2.0)
    assert rows[0] == 24 and rows[-1] < 24
    del model.step
    for row in range(src.size(0)):
        n = lengths[row].item()
        (alone,) = greedy(
            model,
            src[row : row + 1, :n],
            lengths[row : row + 1],
            **SEARCH,
            max_len_ratio=2.0,
        )
        assert alone.ids == batched[row].ids
        assert alone.alignment == batched[row].alignment
        assert alone.log_prob == pytest.approx(batched[row].log_prob, abs=1e-4)


@pytest.mark.parametrize("beam", [1, 4])
def test_batched_equals_one_sentence_at_a_time(beam):
    model = make_model(seed=7, tgt_vocab=10, input_feeding=True)
    src, lengths = make_sources(6, seed=2)
    batched = beam_search(
        model, src, lengths, beam=beam, n_best=min(beam, 2), **SEARCH, max_len_ratio=1.5
    )
    for row in range(src.size(0)):
        n = lengths[row].item()
        alone = beam_search(
            model,
            src[row : row + 1, :n],
            lengths[row : row + 1],
            beam=beam,
            n_best=2 if beam > 1 else 1,
            **SEARCH,
            max_len_ratio=1.5,
        )[0]
        assert [h.ids for h in alone] == [h.ids for h in batched[row]]
        assert [h.score for h in alone] == pytest.approx(
            [h.score for h in batched[row]], abs=1e-4
        )


def test_n_best_above_beam_is_refused():
    model = make_model()
    src, lengths = make_sources(1)
    with pytest.raises(ValueError, match="n_best"):
        beam_search(model, src, lengths, beam=2, n_best=3, **SEARCH, max_len_ratio=1.5)


@torch.no_grad()
def stepped_attention(model, src, length, ids):
    """The attention weights of each id of `ids` when the model is stepped through
    them alone (the oracle for what the search keeps)."""
    memory = model.encode(src[None, :length], torch.tensor([length]))
    state, prev, rows = model.init_state(memory), model.bos_index, []
    for word in ids:
        _, state, weights = model.step(torch.tensor([prev]), state, memory)
        rows.append(weights[0].numpy())
        prev = word
    return np.array(rows, dtype=np.float32).reshape(len(ids), length)


@pytest.mark.parametrize("beam", [1, 3])
@pytest.mark.parametrize("settings", VARIANTS[:3])
def test_kept_attention_is_the_attention_that_chose_each_word(settings, beam):
    model = make_model(seed=6, tgt_vocab=10, **settings)
    src, lengths = make_sources(6, seed=4)
    search = {**SEARCH, "max_len_ratio": 2.0, "attention": True}
    if beam == 1:
        found = [[h] for h in greedy(model, src, lengths, **search)]
    else:
        found = beam_search(model, src, lengths, beam=beam, n_best=2, **search)
    for row, hyps in enumerate(found):
        n = int(lengths[row])
        for hyp in hyps:
            # shape: (target tokens, source tokens), each row a distribution
            assert hyp.attention.shape == (len(hyp.ids), n)
            np.testing.assert_allclose(hyp.attention.sum(1), 1.0, atol=1e-5)
            assert hyp.attention.argmax(1).tolist() == hyp.alignment
            expected = stepped_attention(model, src[row], n, hyp.ids)
            np.testing.assert_allclose(hyp.attention, expected, atol=1e-5)


def test_attention_is_not_kept_unless_asked():
    model = make_model()
    src, lengths = make_sources(2)
    (hyp, _) = greedy(model, src, lengths, **SEARCH, max_len_ratio=1.5)
    ((best,), _) = beam_search(model, src, lengths, beam=2, **SEARCH, max_len_ratio=1.5)
    assert hyp.attention is None and best.attention is None
