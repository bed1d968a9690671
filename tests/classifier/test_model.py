"""The classifier's network: padding never changes a text's scores."""

import pytest
import torch
import torch.nn.functional as F

from seqcli.classifier.config import ClassifierConfig
from seqcli.classifier.model import Classifier
from seqcli.data import pad

pytestmark = pytest.mark.usefixtures("one_thread")


def make(**settings) -> Classifier:
    torch.manual_seed(0)
    cfg = ClassifierConfig(
        vocab_size=20, num_classes=3, embedding=8, hidden=6, dropout=0.0, **settings
    )
    return Classifier(cfg).eval()


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("pooling", ["max", "mean", "attention"])
def test_a_text_scores_the_same_alone_and_padded_in_a_batch(cell, pooling):
    model = make(cell=cell, pooling=pooling, layers=2)
    texts = [[4, 5, 6], [7, 8, 9, 10, 11, 12, 13], [14]]
    ids, lengths = pad(texts, 0)
    with torch.no_grad():
        batched, _ = model(ids, lengths)
        for row, text in enumerate(texts):
            alone, _ = model(torch.tensor([text]), torch.tensor([len(text)]))
            torch.testing.assert_close(alone[0], batched[row], rtol=1e-5, atol=1e-6)
        # what stands in the padding is never read
        noisy = ids.clone()
        noisy[ids == 0] = 19
        again, _ = model(noisy, lengths)
    torch.testing.assert_close(again, batched)


def test_mean_and_max_pooling_by_hand():
    model = make(pooling="mean")
    states = torch.tensor([[[1.0, -2.0], [3.0, 4.0], [100.0, 100.0]]])
    mask = torch.tensor([[True, True, False]])
    assert model.pool(states, mask).tolist() == [[2.0, 1.0]]
    model.cfg.pooling = "max"
    assert model.pool(states, mask).tolist() == [[3.0, 4.0]]


def test_loss_is_the_weighted_cross_entropy_of_the_logits():
    model = make()
    ids, lengths = pad([[4, 5], [6, 7, 8], [9]], 0)
    targets = torch.tensor([0, 2, 1])
    weights = torch.tensor([0.5, 1.0, 2.0])
    logits, loss = model(ids, lengths, targets, weights)
    assert logits.shape == (3, 3)
    torch.testing.assert_close(loss, F.cross_entropy(logits, targets, weight=weights))
    assert model(ids, lengths)[1] is None
    loss.backward()
    assert model.words.weight.grad[0].abs().sum() == 0  # <pad> never learns


def test_the_network_reads_a_spelled_word_as_its_vocabulary_row():
    """Spelled ids (seqcli.classifier.data) carry a word's spelling above the
    vocabulary for the bag; the network's scores stay those of the plain ids."""
    model = make(ngrams=False)
    plain = torch.tensor([[4, 5, 1, 7], [8, 1, 0, 0]])
    spelled = plain + 20 * torch.tensor([[0, 3, 9, 0], [0, 1234, 0, 0]])
    lengths = torch.tensor([4, 2])
    with torch.no_grad():
        torch.testing.assert_close(model(spelled, lengths)[0], model(plain, lengths)[0])


def test_the_worst_noise_raises_the_loss_as_its_gradient_says():
    # first order: moving the embeddings by r raises the loss by about g . r; the
    # worst r of a given norm is g's direction, so it raises the loss by |g| |r|,
    # more than any other direction of that norm (tolerance: the second-order term
    # at this small a step, a few percent)
    model = make(adversarial=0.05)
    ids, lengths = pad([[4, 5, 6], [7, 8], [9, 10, 11, 12]], 0)
    targets = torch.tensor([0, 1, 2])
    embedded = model.words(ids).detach().requires_grad_()
    mask = ids != 0

    def loss_at(x):
        logits = model.scores(x, lengths, ids, mask)
        return F.cross_entropy(logits, targets, reduction="sum")

    clean = loss_at(embedded)
    noise = model.worst_noise(clean, embedded)
    size = 0.05 * model.words.weight.std().item()
    norms = noise.flatten(1).norm(dim=1)
    torch.testing.assert_close(norms, torch.full((3,), size), rtol=1e-4, atol=0)
    assert noise[~mask].abs().sum() == 0  # padding is never moved
    (grad,) = torch.autograd.grad(loss_at(embedded), embedded)
    with torch.no_grad():
        rise = (loss_at(embedded + noise) - clean).item()
        expected = size * grad.flatten(1).norm(dim=1).sum().item()
        assert rise == pytest.approx(expected, rel=0.05)
        torch.manual_seed(1)
        for _ in range(20):
            other = torch.randn_like(noise) * mask[..., None]
            other = size * other / other.flatten(1).norm(dim=1)[:, None, None]
            assert loss_at(embedded + other).item() - clean.item() < rise


def test_adversarial_training_adds_the_moved_texts_loss():
    ids, lengths = pad([[4, 5, 6], [7, 8], [9, 10, 11, 12]], 0)
    targets = torch.tensor([0, 1, 2])
    plain = make(adversarial=0.0).train()
    moved = make(adversarial=2.0).train()  # the same weights: one seed
    _, clean = plain(ids, lengths, targets)
    _, both = moved(ids, lengths, targets)
    # the moved texts' loss is above the clean one, so the sum is above twice it
    assert both.item() > 2 * clean.item()
    moved.eval()  # scoring never moves anything
    torch.testing.assert_close(moved(ids, lengths, targets)[1], clean)
    both.backward()
    assert all(p.grad is not None for p in moved.encoder.parameters())
