"""Benchmark seqcli's CRF against pytorch-crf 0.7.2 and the PyTorch BiLSTM-CRF tutorial.

Run from the repository root: `python bench/crf.py`. Checks that the three give
the same numbers, then times NLL forward+backward and Viterbi decoding on CPU with
2 threads; results go to bench/results/crf.json.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from bench.common import best_time, write  # noqa: E402
from seqcli.tagger.crf import CRF  # noqa: E402

SHAPES = [
    ("conll-iob2", 32, 30, 9),
    ("bioes", 32, 30, 17),
    ("single", 1, 30, 17),
]
TUTORIAL_SENTENCES = 4  # it is ~100x slower: time a few sentences only


def log_sum_exp(vec: torch.Tensor) -> torch.Tensor:
    """The tutorial's log_sum_exp over a (1, n) row."""
    max_score = vec[0, argmax(vec)]
    max_score_broadcast = max_score.view(1, -1).expand(1, vec.size()[1])
    return max_score + torch.log(torch.sum(torch.exp(vec - max_score_broadcast)))


def argmax(vec: torch.Tensor) -> int:
    _, idx = torch.max(vec, 1)
    return idx.item()


class TutorialCRF(torch.nn.Module):
    """The CRF of PyTorch's "Advanced: Making Dynamic Decisions and the Bi-LSTM CRF".

    Same code as the tutorial's `_forward_alg`, `_score_sentence` and
    `_viterbi_decode`: one sentence at a time, a Python loop over next tags at each
    step. Its transitions are [to, from] with extra START and STOP tags; they are
    filled from a seqcli CRF so both score paths identically. Emissions get two
    extra columns (START, STOP) set to -10000, as those tags never emit.
    """

    def __init__(self, crf: CRF) -> None:
        super().__init__()
        n = crf.num_tags
        self.tagset_size = n + 2
        self.start_tag, self.stop_tag = n, n + 1
        trans = torch.full((n + 2, n + 2), -10000.0)
        with torch.no_grad():
            trans[:n, :n] = crf.transitions.t()
            trans[:n, self.start_tag] = crf.start_transitions
            trans[self.stop_tag, :n] = crf.end_transitions
        self.transitions = torch.nn.Parameter(trans)

    def feats(self, emissions: torch.Tensor) -> torch.Tensor:
        """(seq_len, n) emissions -> (seq_len, n + 2) tutorial features."""
        return torch.nn.functional.pad(emissions, (0, 2), value=-10000.0)

    def _forward_alg(self, feats: torch.Tensor) -> torch.Tensor:
        init_alphas = torch.full((1, self.tagset_size), -10000.0)
        init_alphas[0][self.start_tag] = 0.0
        forward_var = init_alphas
        for feat in feats:
            alphas_t = []
            for next_tag in range(self.tagset_size):
                emit_score = feat[next_tag].view(1, -1).expand(1, self.tagset_size)
                trans_score = self.transitions[next_tag].view(1, -1)
                next_tag_var = forward_var + trans_score + emit_score
                alphas_t.append(log_sum_exp(next_tag_var).view(1))
            forward_var = torch.cat(alphas_t).view(1, -1)
        terminal_var = forward_var + self.transitions[self.stop_tag]
        return log_sum_exp(terminal_var)

    def _score_sentence(self, feats: torch.Tensor, tags: torch.Tensor) -> torch.Tensor:
        score = torch.zeros(1)
        tags = torch.cat([torch.tensor([self.start_tag], dtype=torch.long), tags])
        for i, feat in enumerate(feats):
            score = score + self.transitions[tags[i + 1], tags[i]] + feat[tags[i + 1]]
        return score + self.transitions[self.stop_tag, tags[-1]]

    def _viterbi_decode(self, feats: torch.Tensor) -> tuple[torch.Tensor, list[int]]:
        backpointers = []
        init_vvars = torch.full((1, self.tagset_size), -10000.0)
        init_vvars[0][self.start_tag] = 0
        forward_var = init_vvars
        for feat in feats:
            bptrs_t = []
            viterbivars_t = []
            for next_tag in range(self.tagset_size):
                next_tag_var = forward_var + self.transitions[next_tag]
                best_tag_id = argmax(next_tag_var)
                bptrs_t.append(best_tag_id)
                viterbivars_t.append(next_tag_var[0][best_tag_id].view(1))
            forward_var = (torch.cat(viterbivars_t) + feat).view(1, -1)
            backpointers.append(bptrs_t)
        terminal_var = forward_var + self.transitions[self.stop_tag]
        best_tag_id = argmax(terminal_var)
        path_score = terminal_var[0][best_tag_id]
        best_path = [best_tag_id]
        for bptrs_t in reversed(backpointers):
            best_tag_id = bptrs_t[best_tag_id]
            best_path.append(best_tag_id)
        start = best_path.pop()
        assert start == self.start_tag
        best_path.reverse()
        return path_score, best_path

    def neg_log_likelihood(
        self, emissions: torch.Tensor, tags: torch.Tensor
    ) -> torch.Tensor:
        """One sentence's NLL from (seq_len, n) emissions and (seq_len,) tags."""
        feats = self.feats(emissions)
        return self._forward_alg(feats) - self._score_sentence(feats, tags)


def make_inputs(batch: int, seq_len: int, num_tags: int, seed: int = 0):
    """Random emissions, tags and a left-aligned mask with varied lengths."""
    gen = torch.Generator().manual_seed(seed)
    emissions = torch.randn(batch, seq_len, num_tags, generator=gen)
    tags = torch.randint(num_tags, (batch, seq_len), generator=gen)
    lengths = torch.randint(seq_len // 2, seq_len + 1, (batch,), generator=gen)
    lengths[0] = seq_len
    mask = torch.arange(seq_len) < lengths.unsqueeze(1)
    return emissions, tags, mask


def make_models(num_tags: int, seed: int = 0):
    import torchcrf

    torch.manual_seed(seed)
    ours = CRF(num_tags)
    for p in ours.parameters():
        torch.nn.init.uniform_(p, -1.0, 1.0)
    theirs = torchcrf.CRF(num_tags, batch_first=True)
    theirs.load_state_dict(
        {k: v for k, v in ours.state_dict().items() if not k.startswith("allowed")}
    )
    return ours, theirs, TutorialCRF(ours)


def check(shape: str, batch: int, seq_len: int, num_tags: int) -> dict:
    """Agreement of log-likelihoods and Viterbi paths across the three CRFs."""
    ours, theirs, tutorial = make_models(num_tags)
    emissions, tags, mask = make_inputs(4 * batch, seq_len, num_tags, seed=1)
    lengths = mask.sum(1).tolist()
    with torch.no_grad():
        ll = ours.log_likelihood(emissions, tags, mask)
        ll_ref = theirs(emissions, tags, mask, reduction="none")
        paths, _ = ours.decode(emissions, mask)
        paths_ref = theirs.decode(emissions, mask)
        ours_paths = [p[:n] for p, n in zip(paths.tolist(), lengths, strict=True)]
        same = sum(a == b for a, b in zip(ours_paths, paths_ref, strict=True))
        tut_diff, tut_same = 0.0, 0
        for b in range(TUTORIAL_SENTENCES):
            em, tg = emissions[b, : lengths[b]], tags[b, : lengths[b]]
            nll = tutorial.neg_log_likelihood(em, tg)
            tut_diff = max(tut_diff, abs(nll.item() + ll[b].item()))
            tut_same += tutorial._viterbi_decode(tutorial.feats(em))[1] == ours_paths[b]
    return {
        "shape": shape,
        "check": "agreement",
        "max_abs_ll_diff_vs_pytorch_crf": (ll - ll_ref).abs().max().item(),
        "identical_paths_vs_pytorch_crf": same / len(lengths),
        "max_abs_ll_diff_vs_tutorial": tut_diff,
        "identical_paths_vs_tutorial": tut_same / TUTORIAL_SENTENCES,
        "sentences": len(lengths),
    }


def timings(shape: str, batch: int, seq_len: int, num_tags: int) -> list[dict]:
    ours, theirs, tutorial = make_models(num_tags)
    emissions, tags, mask = make_inputs(batch, seq_len, num_tags)
    emissions.requires_grad_()
    lengths = mask.sum(1).tolist()
    few = min(batch, TUTORIAL_SENTENCES)

    def nll_ours():
        emissions.grad = None
        ours.zero_grad(set_to_none=True)
        ours.nll(emissions, tags, mask).backward()

    def nll_theirs():
        emissions.grad = None
        theirs.zero_grad(set_to_none=True)
        (-theirs(emissions, tags, mask, reduction="mean")).backward()

    def nll_tutorial():
        # As in the tutorial's training loop: one sentence, one backward.
        for b in range(few):
            emissions.grad = None
            tutorial.zero_grad(set_to_none=True)
            em, tg = emissions[b, : lengths[b]], tags[b, : lengths[b]]
            tutorial.neg_log_likelihood(em, tg).backward()

    def decode_ours():
        with torch.no_grad():
            ours.decode(emissions, mask)

    def decode_theirs():
        with torch.no_grad():
            theirs.decode(emissions, mask)

    def decode_tutorial():
        with torch.no_grad():
            for b in range(few):
                tutorial._viterbi_decode(tutorial.feats(emissions[b, : lengths[b]]))

    records = []
    for op, fns in [
        ("nll_fwd_bwd", (nll_ours, nll_theirs, nll_tutorial)),
        ("decode", (decode_ours, decode_theirs, decode_tutorial)),
    ]:
        fast = [best_time(fn, repeat=7, number=20) for fn in fns[:2]]
        slow = best_time(fns[2], repeat=2, number=1)
        # sentences per second
        sps = [batch / fast[0], batch / fast[1], few / slow]
        records.append(
            {
                "shape": shape,
                "batch": batch,
                "seq_len": seq_len,
                "num_tags": num_tags,
                "op": op,
                "seqcli_sent_per_s": sps[0],
                "pytorch_crf_sent_per_s": sps[1],
                "tutorial_sent_per_s": sps[2],
                "seqcli_over_pytorch_crf": sps[0] / sps[1],
                "seqcli_over_tutorial": sps[0] / sps[2],
            }
        )
    return records


def main() -> None:
    torch.set_num_threads(2)
    records = []
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    for shape in SHAPES:
        name, batch, seq_len, num_tags = shape
        agreement = check(*shape)
        records.append(agreement)
        print(
            f"{name} {batch}x{seq_len}x{num_tags}: "
            f"ll diff vs pytorch-crf {agreement['max_abs_ll_diff_vs_pytorch_crf']:.2e}"
            f", same paths {agreement['identical_paths_vs_pytorch_crf']:.3f}; "
            f"vs tutorial {agreement['max_abs_ll_diff_vs_tutorial']:.2e}, "
            f"same paths {agreement['identical_paths_vs_tutorial']:.3f}"
        )
        assert agreement["max_abs_ll_diff_vs_pytorch_crf"] <= 1e-4
        assert agreement["identical_paths_vs_pytorch_crf"] == 1.0
        for rec in timings(*shape):
            records.append(rec)
            print(
                f"  {rec['op']:12s} sent/s: seqcli {rec['seqcli_sent_per_s']:9.0f}  "
                f"pytorch-crf {rec['pytorch_crf_sent_per_s']:9.0f}  "
                f"tutorial {rec['tutorial_sent_per_s']:7.1f}  | seqcli/pytorch-crf "
                f"{rec['seqcli_over_pytorch_crf']:.2f}x  "
                f"seqcli/tutorial {rec['seqcli_over_tutorial']:.0f}x"
            )
    print(f"wrote {write('crf', records)}")


if __name__ == "__main__":
    main()
