"""seqcli.translator.model: stepwise decoding against teacher forcing, the loss, word
dropout, old manifests, and learning a task (reversal) exactly."""

import math

import pytest
import torch

from seqcli.data import pad
from seqcli.search import beam_search, greedy
from seqcli.translator.config import TranslatorConfig
from seqcli.translator.data import target_in_out
from seqcli.translator.model import Translator, hide_words
from seqcli.vocab import Vocab

from .conftest import SEARCH, learn_reversal, reversal_data

# tiny models run fastest on one thread without oneDNN (see test_search.py)
pytestmark = pytest.mark.usefixtures("one_thread", "no_onednn")


def make_model(**settings):
    torch.manual_seed(0)
    cfg = TranslatorConfig(
        src_vocab_size=12, tgt_vocab_size=10, embedding=8, hidden=10, dropout=0.0
    )
    for key, value in settings.items():
        setattr(cfg, key, value)
    return Translator(cfg).eval()


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"input_feeding": True},
        {"attention": "bahdanau", "decoder_layers": 2},
        {"context_layer": True},
        {"context_layer": True, "decoder_layers": 2, "input_feeding": True},
        {"deep_output": True, "input_feeding": True},
        {"deep_output": True, "context_layer": True},
        {"cell": "gru", "context_layer": True, "input_feeding": True},
        {"cell": "mingru", "encoder_layers": 2, "decoder_layers": 2},
        {"cell": "mingru", "context_layer": True, "input_feeding": True},
    ],
)
def test_stepwise_decoding_matches_teacher_forcing(settings):
    model = make_model(**settings)
    src, lengths = pad([[4, 5, 6, 7], [8, 9]], 0)
    tgt_in, _ = target_in_out([[4, 5, 6], [7]])
    with torch.no_grad():
        memory = model.encode(src, lengths)
        logits, _ = model.decode(tgt_in, memory)
        state = model.init_state(memory)
        for t in range(tgt_in.size(1)):
            step_logits, state, attention = model.step(tgt_in[:, t], state, memory)
            assert torch.allclose(step_logits, logits[:, t], atol=1e-5)
            assert attention[1, 2:].sum() == 0  # padding gets no attention
            assert torch.allclose(attention.sum(-1), torch.ones(2))


def test_loss_ignores_padding_and_trains():
    model = make_model(label_smoothing=0.0).train()
    src, lengths = pad([[4, 5, 6], [7]], 0)
    tgt_in, tgt_out = target_in_out([[4, 5], [6, 7, 8]])
    loss = model(src, lengths, tgt_in, tgt_out)
    assert loss.ndim == 0 and torch.isfinite(loss)
    loss.backward()
    assert model.src_embed.weight.grad[0].abs().sum() == 0  # <pad> never learns
    assert all(p.grad is not None for p in model.parameters())


def test_models_saved_before_newer_settings_load_as_they_were_built():
    from dataclasses import asdict, fields

    legacy = {
        f.name: f.metadata["absent"]
        for f in fields(TranslatorConfig)
        if "absent" in f.metadata
    }
    old = make_model(**legacy)
    config = {k: v for k, v in asdict(old.cfg).items() if k not in legacy}
    loaded = Translator.from_manifest({"config": config})
    loaded.load_state_dict(old.state_dict())  # the same weights fit
    assert not loaded.cfg.deep_output and TranslatorConfig().deep_output
    assert loaded.cfg.sampled_softmax == 0 < TranslatorConfig().sampled_softmax


def test_word_dropout_hides_real_words_only_at_its_rate():
    torch.manual_seed(0)
    ids = torch.randint(4, 50, (200, 500))
    ids[:, 400:] = Vocab.pad_index
    out = hide_words(ids, 0.3)
    hidden = out != ids
    assert (out[hidden] == Vocab.unk_index).all()
    assert not hidden[:, 400:].any()  # padding stays padding
    assert abs(hidden[:, :400].float().mean().item() - 0.3) < 0.01
    assert hide_words(ids, 0.0) is ids


def test_word_dropout_acts_in_training_only():
    model = make_model(word_dropout=0.5)
    plain = make_model()  # the same weights (same seed), no word dropout
    src, lengths = pad([[4, 5, 6, 7, 8, 9], [10, 11]], 0)
    with torch.no_grad():
        assert torch.equal(
            model.encode(src, lengths).outputs, plain.encode(src, lengths).outputs
        )
        model.train()
        runs = [model.encode(src, lengths).outputs for _ in range(4)]
    assert any(not torch.equal(runs[0], r) for r in runs[1:])


def test_an_untrained_model_is_near_uniform():
    model = make_model(label_smoothing=0.0)
    with torch.no_grad():
        model.out_bias.zero_()
        model.tgt_embed.weight.mul_(1e-4)
        src, lengths = pad([[4, 5]], 0)
        tgt_in, tgt_out = target_in_out([[5, 6, 7]])
        loss = model(src, lengths, tgt_in, tgt_out)
    assert loss.item() == pytest.approx(math.log(10), abs=1e-3)


# --- learning a task exactly ---


@pytest.mark.slow
def test_learns_to_reverse_sequences_exactly(reverser):
    src_seqs, expected = reversal_data(200, seed=10_000)
    src, lengths = pad(src_seqs, 0)
    found = [h.ids for h in greedy(reverser, src, lengths, **SEARCH)]
    assert found == expected
    by_beam = [h[0].ids for h in beam_search(reverser, src, lengths, beam=5, **SEARCH)]
    assert by_beam == expected


@pytest.mark.slow
# gru: PyTorch's, as the LSTM
@pytest.mark.parametrize("cell", ["mingru", "rnn"])
def test_every_cell_learns_to_reverse_sequences(cell):
    model = learn_reversal(cell)
    src_seqs, expected = reversal_data(200, seed=10_000)
    src, lengths = pad(src_seqs, 0)
    greedy_ids = [h.ids for h in greedy(model, src, lengths, **SEARCH)]
    beam_ids = [h[0].ids for h in beam_search(model, src, lengths, beam=4, **SEARCH)]
    by_greedy = sum(g == e for g, e in zip(greedy_ids, expected, strict=True))
    by_beam = sum(b == e for b, e in zip(beam_ids, expected, strict=True))
    assert by_greedy >= 190 and by_beam >= 190


@pytest.mark.parametrize("k", [1, 4, 13])
def test_best_next_is_a_full_sort_of_the_ids_the_search_may_take(k):
    """Against a full sort in Python, with ties (log-probabilities rounded to
    tenths): the k best ids other than <pad> and <bos>, and only <eos> at the
    length limit."""
    model = Translator(TranslatorConfig(src_vocab_size=8, tgt_vocab_size=13))
    torch.manual_seed(k)
    log_probs = (torch.randn(4, 13) * 10).round() / 10
    at_limit = torch.tensor([False, True, False, True])
    best, ids = model.best_next(log_probs, at_limit, k)
    assert best.shape == ids.shape == (4, k)
    for row in range(4):
        if at_limit[row]:
            allowed = {Vocab.eos_index}
        else:
            allowed = set(range(13)) - {Vocab.pad_index, Vocab.bos_index}
        expected = sorted((log_probs[row, i].item() for i in allowed), reverse=True)
        expected += [-math.inf] * (k - len(expected))
        assert best[row].tolist() == pytest.approx(expected[:k])  # best first
        for value, i in zip(best[row].tolist(), ids[row].tolist(), strict=True):
            if value > -math.inf:
                assert i in allowed and log_probs[row, i].item() == value
