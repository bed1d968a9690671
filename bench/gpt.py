"""A small character GPT: the baseline seqcli's char-LM is measured against.

Written for the benchmark, after the shape of nanoGPT's documented CPU recipe for
Tiny Shakespeare: 4 pre-norm blocks of causal self-attention (4 heads) and a 4x GELU
MLP, width 128, learned positions, block 64, batch 12, no dropout, output tied to
the embedding; AdamW (lr 1e-3, betas 0.9/0.99, weight decay 0.1 on matrices), 100
warm-up steps, then cosine decay to 1e-4 over the time budget, gradients clipped at 1.

    python bench/gpt.py --seconds 600     # train, then score the last 5%
"""

from __future__ import annotations

import argparse
import math
import time

import torch
import torch.nn.functional as F
from torch import nn


class Block(nn.Module):
    def __init__(self, width: int, heads: int):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.norm2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(
            nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, w = x.shape
        # shape: (batch, heads, time, width / heads) each
        q, k, v = (
            part.view(b, t, self.heads, w // self.heads).transpose(1, 2)
            for part in self.qkv(self.norm1(x)).split(w, dim=-1)
        )
        att = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(att.transpose(1, 2).reshape(b, t, w))
        return x + self.mlp(self.norm2(x))


class GPT(nn.Module):
    def __init__(self, vocab: int, *, width=128, layers=4, heads=4, block=64) -> None:
        super().__init__()
        self.block = block
        self.embed = nn.Embedding(vocab, width)
        self.position = nn.Embedding(block, width)
        self.blocks = nn.ModuleList(Block(width, heads) for _ in range(layers))
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, vocab, bias=False)
        self.head.weight = self.embed.weight
        for name, p in self.named_parameters():
            if p.dim() == 2:
                # scaled for the residual projections, as GPT-2
                std = 0.02 / math.sqrt(2 * layers) if "proj" in name else 0.02
                nn.init.normal_(p, 0.0, std)
            elif name.endswith("bias"):
                nn.init.zeros_(p)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """ids (batch, time ≤ block) → logits (batch, time, vocab)."""
        x = self.embed(ids) + self.position(torch.arange(ids.size(1)))
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x))


def train(
    ids: torch.Tensor,
    vocab: int,
    seconds: float,
    *,
    batch=12,
    lr=1e-3,
    min_lr=1e-4,
    warmup=100,
    seed=1,
    log=print,
) -> tuple[GPT, dict]:
    """Train on 1-D ids for `seconds` of wall time; the schedule follows the clock."""
    torch.manual_seed(seed)
    model = GPT(vocab)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    rest = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.1}, {"params": rest, "weight_decay": 0.0}],
        lr=lr,
        betas=(0.9, 0.99),
    )
    block = model.block
    g = torch.Generator().manual_seed(seed)
    start, steps = time.perf_counter(), 0
    while (elapsed := time.perf_counter() - start) < seconds:
        if steps < warmup:
            rate = lr * (steps + 1) / warmup
        else:
            cos = math.cos(math.pi * elapsed / seconds)
            rate = min_lr + 0.5 * (lr - min_lr) * (1 + cos)
        for group in opt.param_groups:
            group["lr"] = rate
        at = torch.randint(ids.numel() - block - 1, (batch,), generator=g)
        x = torch.stack([ids[i : i + block] for i in at])
        y = torch.stack([ids[i + 1 : i + 1 + block] for i in at])
        loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        steps += 1
        if steps % 1000 == 0:
            log(f"gpt step {steps}: loss {loss.item():.3f}, {elapsed:.0f} s")
    return model.eval(), {"steps": steps, "seconds": time.perf_counter() - start}


@torch.inference_mode()
def score(model: GPT, ids: torch.Tensor, batch: int = 512) -> float:
    """Mean nats per character of ids[1:], each predicted from up to `block`
    characters before it, as in generation: the first `block` positions from the
    text's start, every later one from exactly the `block` characters before it."""
    block = model.block
    head = ids[: block + 1]
    total = F.cross_entropy(model(head[None, :-1])[0], head[1:], reduction="sum").item()
    # shape: (windows, block + 1): each window's last character is scored
    windows = ids.unfold(0, block + 1, 1)[1:]
    for i in range(0, windows.size(0), batch):
        w = windows[i : i + batch]
        logits = model(w[:, :-1])[:, -1]
        total += F.cross_entropy(logits, w[:, -1], reduction="sum").item()
    return total / (ids.numel() - 1)


def main() -> None:
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root))
    from seqcli.charlm.recipe import CharLMRecipe
    from seqcli.vocab import Vocab, chars

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    text = (root.parent / "shared/corpora/shakespeare/train.txt").read_text()
    train_text, dev_text = CharLMRecipe([], dev_fraction=0.05).split_dev(text, seed=0)
    vocab = Vocab.build([chars(text)])
    ids = torch.tensor(vocab.encode(chars(train_text)))
    dev = torch.tensor(vocab.encode(chars(dev_text)))
    model, info = train(ids, len(vocab), args.seconds)
    t = time.perf_counter()
    loss = score(model, dev)
    print(info | {"dev_loss": loss, "score_seconds": time.perf_counter() - t})


if __name__ == "__main__":
    main()
