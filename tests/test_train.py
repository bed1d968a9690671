import os
import signal

import pytest
import torch

from seqcli.charlm.config import CharLMConfig
from seqcli.charlm.model import CharLM
from seqcli.charlm.recipe import CharLMTask
from seqcli.config import TrainConfig
from seqcli.errors import SeqcliError
from seqcli.store import Store
from seqcli.train import Interrupted, fit

TEXT = "the cat sat on the mat. the dog sat on the log. " * 20
VOCAB = sorted(set(TEXT))


def ids(text: str) -> torch.Tensor:
    return torch.tensor([VOCAB.index(c) for c in text])


def make(seed: int = 0, cell: str = "lstm"):
    torch.manual_seed(seed)
    cfg = CharLMConfig(
        vocab_size=len(VOCAB), cell=cell, embedding=8, hidden=16, layers=2, dropout=0.2
    )
    model = CharLM(cfg)
    task = CharLMTask(
        ids(TEXT[:800]),
        ids(TEXT[800:]),
        batch_size=4,
        bptt=16,
        state_names=model.rnn.state_names,
        device=torch.device("cpu"),
    )
    return model, task, {"kind": "charlm", "config": cfg.__dict__}


class AtStep:
    """Wraps a task; `loss` calls `when(loss, n)` at global step `at` (from 1)."""

    def __init__(self, task, at: int):
        self.task, self.at, self.seen = task, at, 0

    def __getattr__(self, name):
        return getattr(self.task, name)

    def loss(self, model, batch):
        self.seen += 1
        loss, n = self.task.loss(model, batch)
        return (self.when(loss, n) if self.seen == self.at else loss), n


class InterruptAt(AtStep):
    """Sends this process a real SIGINT during global step `at`."""

    def when(self, loss, n):
        os.kill(os.getpid(), signal.SIGINT)
        return loss


def run(
    tmp_path, cfg, *, interrupt_at=None, resume=False, name="m", cell="lstm", dev=True
):
    model, task, manifest = make(cell=cell)
    if interrupt_at:
        task = InterruptAt(task, interrupt_at)
    pos = fit(
        model,
        task,
        cfg,
        store=Store(tmp_path),
        name=name,
        manifest=manifest,
        device=torch.device("cpu"),
        data_digest="the data",
        resume=resume,
        dev=dev,
    )
    return model, pos


def test_without_dev_the_last_weights_are_kept_after_steps_and_resume_alike(tmp_path):
    """fit(dev=False), as --with-dev runs it: no dev metric, `steps` ends the run
    (and its schedule), the last weights are saved, and an interrupted run resumes
    to the same weights."""
    cfg = TrainConfig(epochs=50, steps=7, lr=1e-2, warmup=3, eval_every=0)
    straight, pos = run(tmp_path / "a", cfg, dev=False)
    assert pos.global_step == 7 and pos.stopped == "steps done" and pos.best is None
    manifest, saved = Store(tmp_path / "a").load("m")
    assert manifest["metrics"] == {} and manifest["training"]["steps"] == 7
    assert all(
        set(h) == {"epoch", "step", "seconds", "train_loss"} for h in pos.history
    )
    for k, a in straight.state_dict().items():
        assert torch.equal(a, saved[k]), k
    with pytest.raises(Interrupted):
        run(tmp_path / "b", cfg, interrupt_at=4, dev=False)
    resumed, pos2 = run(tmp_path / "b", cfg, resume=True, dev=False)
    assert pos2.global_step == 7
    for k, a in straight.state_dict().items():
        assert torch.equal(a, resumed.state_dict()[k]), k


@pytest.mark.parametrize(
    "ema, cell",
    [(0.0, "lstm"), (0.9, "lstm"), (0.0, "gru"), (0.0, "mingru"), (0.0, "rnn")],
)
def test_resume_after_ctrl_c_gives_the_same_weights(tmp_path, ema, cell):
    cfg = TrainConfig(epochs=3, lr=1e-2, warmup=3, eval_every=0, ema=ema)
    straight, pos = run(tmp_path / "a", cfg, cell=cell)
    steps_per_epoch = pos.global_step // 3
    with pytest.raises(Interrupted):  # mid-way through the second epoch
        run(tmp_path / "b", cfg, interrupt_at=steps_per_epoch + 2, cell=cell)
    assert Store(tmp_path / "b").has_state("m")
    resumed, pos2 = run(tmp_path / "b", cfg, resume=True, cell=cell)
    assert pos2.global_step == pos.global_step
    resumed_state = resumed.state_dict()
    for k, a in straight.state_dict().items():
        assert torch.equal(a, resumed_state[k]), k
    assert [h["loss"] for h in pos.history] == [h["loss"] for h in pos2.history]
    _, best_a = Store(tmp_path / "a").load("m")
    _, best_b = Store(tmp_path / "b").load("m")
    for k, a in best_a.items():
        assert torch.equal(a, best_b[k]), k


def test_resume_on_other_data_is_a_clear_error(tmp_path):
    cfg = TrainConfig(epochs=2, lr=1e-2, warmup=2)
    with pytest.raises(Interrupted):
        run(tmp_path, cfg, interrupt_at=3)
    model, task, manifest = make()
    with pytest.raises(SeqcliError, match="resume needs the same files"):
        fit(
            model,
            task,
            cfg,
            store=Store(tmp_path),
            name="m",
            manifest=manifest,
            device=torch.device("cpu"),
            data_digest="other data",
            resume=True,
        )


def test_resume_with_another_ema_is_a_clear_error(tmp_path):
    cfg = TrainConfig(epochs=2, lr=1e-2, warmup=2)
    with pytest.raises(Interrupted):
        run(tmp_path, cfg, interrupt_at=3)
    with pytest.raises(SeqcliError, match="trained with --ema 0: resume with the same"):
        run(tmp_path, TrainConfig(epochs=2, lr=1e-2, warmup=2, ema=0.9), resume=True)
    run(tmp_path, cfg, resume=True)  # the state is intact


def test_moving_average_matches_a_hand_worked_example():
    from seqcli.train import _moving_average

    model = torch.nn.Linear(1, 1, bias=False)
    averaged = _moving_average(model, 0.5)
    expected = None
    for n, value in enumerate([4.0, 8.0, 2.0, 6.0]):
        with torch.no_grad():
            model.weight.fill_(value)
        averaged.update_parameters(model)
        # the first update copies; after n updates the old average keeps
        # min(0.5, (1 + n) / (10 + n)): 2/11, 3/12, 4/13 here
        if expected is None:
            expected = value
        else:
            keep = min(0.5, (1 + n) / (10 + n))
            expected = keep * expected + (1 - keep) * value
        assert averaged.module.weight.item() == pytest.approx(expected)
    # by hand: 4 → 4·2/11 + 8·9/11 = 7.2727 → 7.2727·3/12 + 2·9/12 = 3.3182
    # → 3.3182·4/13 + 6·9/13 = 5.1748
    assert expected == pytest.approx(5.1748, abs=1e-4)


def test_with_ema_the_saved_weights_are_the_average_not_the_last(tmp_path):
    cfg = TrainConfig(epochs=2, lr=1e-2, warmup=2, ema=0.9)
    model, _ = run(tmp_path, cfg)
    manifest, saved = Store(tmp_path).load("m")
    assert manifest["training"]["settings"]["ema"] == 0.9
    last = model.state_dict()
    assert any(not torch.equal(saved[k], last[k]) for k in saved)
    # the average is a smoothed copy of the same model: near, not equal
    distance = max((saved[k] - last[k]).abs().max().item() for k in saved)
    assert 0 < distance < 1


def test_best_checkpoint_is_kept_and_reloads(tmp_path):
    cfg = TrainConfig(epochs=4, lr=1e-2, warmup=2)
    model, pos = run(tmp_path, cfg)
    manifest, tensors = Store(tmp_path).load("m", "charlm")
    assert manifest["metrics"]["loss"] == pytest.approx(pos.best)
    assert pos.best == min(h["loss"] for h in pos.history)
    assert len(manifest["history"]) == 4
    reloaded = CharLM(CharLMConfig(**manifest["config"]))
    reloaded.load_state_dict(tensors)


def test_time_budget_stops_and_evaluates_the_last_weights(tmp_path):
    cfg = TrainConfig(epochs=10_000, time_budget=1.0, warmup=1)
    _, pos = run(tmp_path, cfg)
    assert pos.stopped == "time budget"
    assert pos.elapsed < 5
    assert pos.history[-1]["step"] == pos.global_step
    # the saved model says how long it had trained when it was saved
    manifest = Store(tmp_path).manifest("m", "charlm")
    best = next(h for h in pos.history if h["loss"] == pos.best)
    assert manifest["training"]["seconds"] == best["seconds"] > 0.2


def test_early_stopping(tmp_path):
    # a learning rate of ~0 never improves after the first evaluation
    cfg = TrainConfig(epochs=50, lr=1e-12, warmup=0, patience=2, eval_every=3)
    _, pos = run(tmp_path, cfg)
    assert pos.stopped == "early stopping"
    assert len(pos.history) <= 4


def test_learning_rate_schedule():
    from seqcli.train import _lr

    cfg = TrainConfig(lr=1.0, warmup=10, min_lr=0.1)
    assert _lr(cfg, 0, 0.0) == pytest.approx(0.1)
    assert _lr(cfg, 10, 0.0) == pytest.approx(1.0)
    assert _lr(cfg, 50, 0.5) == pytest.approx(0.55)
    assert _lr(cfg, 99, 1.0) == pytest.approx(0.1)


class NanAt(AtStep):
    """The loss of global step `at` is NaN."""

    def when(self, loss, n):
        return loss * float("nan")


def test_a_nan_loss_stops_and_keeps_the_last_good_model(tmp_path):
    cfg = TrainConfig(epochs=5, lr=1e-2, warmup=2, eval_every=4)
    model, task, manifest = make()
    with pytest.raises(SeqcliError, match="after 6 steps: the loss .nan. became"):
        fit(
            model,
            NanAt(task, 7),
            cfg,
            store=Store(tmp_path),
            name="m",
            manifest=manifest,
            device=torch.device("cpu"),
            data_digest="the data",
        )
    saved_manifest, saved = Store(tmp_path).load("m", "charlm")
    assert saved_manifest["training"]["steps"] == 4  # the evaluation of step 4
    assert all(torch.isfinite(t).all() for t in saved.values())
    assert Store(tmp_path, builtin=None).describe("m")["status"] == "ok"


def test_weights_that_turn_infinite_are_never_saved(tmp_path):
    # an infinite learning rate (refused by the command line) spoils the first step
    cfg = TrainConfig(epochs=2, lr=float("inf"), warmup=0, eval_every=1)
    with pytest.raises(SeqcliError, match="no model was saved; try a lower --lr"):
        run(tmp_path, cfg)
    store = Store(tmp_path, builtin=None)
    assert "m" not in store.names() or store.describe("m")["status"] != "ok"
