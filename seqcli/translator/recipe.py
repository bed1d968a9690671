"""Training and scoring the translator on parallel text; dev BLEU (sacreBLEU, with
the beam users get) picks the checkpoint."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch

import seqcli.recipe
from seqcli import console, distributed
from seqcli.data import RankBatches
from seqcli.errors import OptionError, SeqcliError
from seqcli.recipe import Recipe, new_manifest, parameters
from seqcli.train import Position, Task
from seqcli.translator.config import (
    BATCH_SIZE,
    BEAM,
    MAX_TRAIN_TOKENS,
    TranslatorConfig,
)
from seqcli.translator.data import (
    Codec,
    read_parallel,
    target_in_out,
    tokenize,
    vocabulary,
)
from seqcli.translator.decode import translate_ids, translate_lines
from seqcli.translator.model import Translator
from seqcli.vocab import SPECIALS, Vocab

KIND = "translator"


def score(hypotheses: Sequence[str], references: Sequence[str]) -> dict:
    """sacreBLEU's BLEU and chrF (default settings) of detokenised text."""
    from sacrebleu.metrics import BLEU, CHRF

    bleu = BLEU()
    return {
        "bleu": bleu.corpus_score(list(hypotheses), [list(references)]).score,
        "chrf": CHRF().corpus_score(list(hypotheses), [list(references)]).score,
        "signature": str(bleu.get_signature()),
    }


class TranslatorTask(Task):
    """Batches, loss and dev BLEU of the translator for the shared training loop."""

    metric = "bleu"
    higher_is_better = True

    def __init__(
        self,
        pairs: tuple[list[list[int]], list[list[int]]],
        dev: tuple[list[list[str]], list[list[int]], list[str]],
        codec: Codec,
        *,
        batch_size: int,
        device: torch.device,
        seed: int = 1,
        dev_beam: int = BEAM,
        dev_batch_size: int = BATCH_SIZE,
        rank: int = 0,
        world: int = 1,
    ):
        self.src, self.tgt = pairs
        self.dev_tokens, self.dev_src, self.dev_refs = dev
        self.codec = codec
        self.device = device
        self.dev_beam, self.dev_batch_size = dev_beam, dev_batch_size
        self.order = RankBatches(
            [max(len(s), len(t)) for s, t in zip(*pairs, strict=True)],
            batch_size,
            seed=seed,
            rank=rank,
            world=world,
        )

    def steps_per_epoch(self) -> int:
        return self.order.steps

    def batches(self, epoch: int, start: int) -> Iterator[tuple[torch.Tensor, ...]]:
        from seqcli.data import pad

        for batch in self.order.epoch(epoch)[start:]:
            src, lengths = pad([self.src[i] for i in batch], Vocab.pad_index)
            tgt_in, tgt_out = target_in_out([self.tgt[i] for i in batch])
            yield tuple(x.to(self.device) for x in (src, lengths, tgt_in, tgt_out))

    def training_data(self) -> tuple:
        return self.src, self.tgt

    def loss(self, model: Translator, batch) -> tuple[torch.Tensor, int]:
        n_tokens = int((batch[3] != Vocab.pad_index).sum())
        return model(*batch), n_tokens

    def evaluate(self, model: Translator) -> dict[str, float]:
        """Dev BLEU (sacreBLEU, detokenised) of translations with the dev beam: by
        default BEAM, what `seqcli translate` writes."""
        found = translate_ids(
            model, self.dev_src, beam=self.dev_beam, batch_size=self.dev_batch_size
        )
        hyps = [
            self.codec.text(h[0], src)
            for h, src in zip(found, self.dev_tokens, strict=True)
        ]
        metrics = score(hyps, self.dev_refs)
        return {"bleu": metrics["bleu"], "chrf": metrics["chrf"]}


def load_source_vectors(model: Translator, vocab: Vocab, path: str) -> int:
    """Start the source embeddings from pretrained word vectors (GloVe or word2vec
    text), looked up lower-cased as GloVe's words are. Each of their dimensions is
    standardised, like the N(0, 1) the embedding starts from, and fills its first
    columns; other columns and words keep their random start.

    Returns:
        how many vocabulary entries got a vector.
    """
    from seqcli.vectors import read_vectors

    wanted = {w.lower() for w in vocab.itos[len(SPECIALS) :]}
    keys, table = read_vectors(path, case="lower", wanted=wanted)
    if table.size(1) > model.cfg.embedding:
        raise SeqcliError(
            f"{path}: {table.size(1)}-dimensional vectors do not fit embeddings of "
            f"{model.cfg.embedding}"
        )
    std, mean = torch.std_mean(table, dim=0, correction=0)
    table = (table - mean) / std.clamp_min(1e-6)
    row = {k: i for i, k in enumerate(keys)}
    pairs = [
        (i, row[w.lower()])
        for i, w in enumerate(vocab.itos)
        if i >= len(SPECIALS) and w.lower() in row
    ]
    if pairs:
        ids, rows = zip(*pairs, strict=True)
        with torch.no_grad():
            model.src_embed.weight[list(ids), : table.size(1)] = table[list(rows)]
    return len(pairs)


class TranslatorRecipe(Recipe):
    """A translator on parallel text: (sources, targets), line by line; dev is the
    data's last part unless given.

    Args:
        src, tgt: line-aligned source and target files, or
        pairs: one file of source<TAB>target lines; the dev data likewise
            (dev_src, dev_tgt, dev_pairs), by default the last `dev_fraction`.
        src_vectors: word vectors to start the source embeddings from (see
            `load_source_vectors`); ignored when resuming.
        dev_beam: beam width of the dev translations (1: greedy, faster).
    """

    kind = KIND
    network = Translator
    dev_at_end = True
    dev_fraction = 0.05

    def __init__(
        self,
        src: str | None = None,
        tgt: str | None = None,
        pairs: str | None = None,
        *,
        dev_src: str | None = None,
        dev_tgt: str | None = None,
        dev_pairs: str | None = None,
        src_vectors: str | None = None,
        dev_beam: int = BEAM,
        **options,
    ):
        super().__init__(**options)
        self.files = (src, tgt, pairs)
        self.dev_files = (dev_src, dev_tgt, dev_pairs)
        self.src_vectors = None if self.resume else src_vectors
        self.dev_beam = dev_beam
        self.tokenized: tuple | None = None

    def read(self):
        train = read_parallel(*self.files, self.errors)
        if not any(self.dev_files):
            return train, None
        return train, read_parallel(*self.dev_files, self.errors)

    def count(self, data) -> int:
        return len(data[0])

    def take(self, data, indices):
        return tuple([side[i] for i in indices] for side in data)

    def join(self, train, dev):
        return train[0] + dev[0], train[1] + dev[1]

    def tokens(self, config: TranslatorConfig, data) -> tuple[list, list]:
        """The training pairs' tokens, without pairs too long or with an empty side
        (once: a new run's manifest and task both ask)."""
        from seqcli.vocab import WordTokenizer

        if self.tokenized is not None and self.tokenized[0] is data:
            return self.tokenized[1]

        src_tokens = tokenize(WordTokenizer(config.src_lang), data[0], glued=False)
        tgt_tokens = tokenize(WordTokenizer(config.tgt_lang), data[1], glued=True)
        kept = [
            i
            for i, (s, t) in enumerate(zip(src_tokens, tgt_tokens, strict=True))
            if s and t and len(s) <= MAX_TRAIN_TOKENS and len(t) <= MAX_TRAIN_TOKENS
        ]
        if len(kept) < len(src_tokens):
            console.warn(
                f"left out {len(src_tokens) - len(kept)} pair(s) with an empty side "
                f"or more than {MAX_TRAIN_TOKENS} tokens"
            )
        if not kept:
            raise SeqcliError("no training pairs (every pair has an empty side)")
        found = [src_tokens[i] for i in kept], [tgt_tokens[i] for i in kept]
        self.tokenized = data, found
        return found

    def manifest(self, config: TranslatorConfig, train, dev) -> dict:
        if config.subwords and config.rare_subwords:
            raise SeqcliError("--subwords and --rare-subwords exclude each other")
        src_tokens, tgt_tokens = self.tokens(config, train)
        src_vocab, src_subwords = vocabulary(src_tokens, config)
        tgt_vocab, tgt_subwords = vocabulary(tgt_tokens, config)
        config.src_vocab_size, config.tgt_vocab_size = len(src_vocab), len(tgt_vocab)
        manifest = new_manifest(
            KIND,
            config,
            {"src": src_vocab.to_dict(), "tgt": tgt_vocab.to_dict()},
            data=[p for p in self.files if p],
            dev=[p for p in self.dev_files if p]
            or f"last {self.dev_fraction:.0%} of the data",
        )
        if src_subwords is not None and tgt_subwords is not None:
            manifest["subwords"] = {
                "src": src_subwords.to_dict(),
                "tgt": tgt_subwords.to_dict(),
            }
        return manifest

    def task(self, model, manifest, train, dev, *, settings, device) -> TranslatorTask:
        config = manifest.settings(TranslatorConfig)
        src_tokens, tgt_tokens = self.tokens(config, train)
        codec = Codec(manifest)
        src_ids = [codec.src_vocab.encode(codec.units("src", s)) for s in src_tokens]
        tgt_ids = [codec.tgt_vocab.encode(codec.units("tgt", t)) for t in tgt_tokens]
        kept = [i for i, s in enumerate(dev[0]) if s.strip()]
        if not kept:
            raise SeqcliError("the dev data has no sentences")
        dev_tokens, dev_ids = codec.sources([dev[0][i] for i in kept])
        manifest["training"]["dev_beam"] = self.dev_beam
        if self.src_vectors:
            found = load_source_vectors(model, codec.src_vocab, self.src_vectors)
            manifest["training"]["src_vectors"] = str(self.src_vectors)
            console.info(
                f"word vectors for {found:,} of {len(codec.src_vocab):,} source units"
            )
        return TranslatorTask(
            (src_ids, tgt_ids),
            (dev_tokens, dev_ids, [dev[1][i] for i in kept]),
            codec,
            batch_size=config.batch_size,
            device=device,
            seed=settings.seed,
            dev_beam=self.dev_beam,
            rank=distributed.rank(),
            world=distributed.world_size(),
        )

    def describe(self, name: str, model: Translator, train, dev) -> str:
        cfg = model.cfg
        return (
            f"{KIND} {name}: {len(train[0]):,} training pairs, {len(dev[0]):,} dev, "
            f"vocabulary {cfg.src_vocab_size:,} {cfg.src_lang} / "
            f"{cfg.tgt_vocab_size:,} {cfg.tgt_lang}, {parameters(model):,} parameters"
        )


def train(*data, **options) -> Position:
    """Train (or resume) a translator on parallel text; keeps its best dev BLEU.

    `data` and the options: those of TranslatorRecipe and of seqcli.recipe.train.
    Returns the training loop's final Position.
    """
    return seqcli.recipe.run(TranslatorRecipe, *data, **options)


def evaluate(
    model: Translator,
    manifest: dict,
    *,
    files: list[str],
    src: str | None = None,
    tgt: str | None = None,
    pairs: str | None = None,
    encoding_errors: str = "strict",
) -> dict:
    """`seqcli eval` for a translator: {bleu, chrf, signature, sentences} by sacreBLEU
    (default settings) on detokenised output of the default decoding
    (seqcli.translator.config). One file in `files` is read as pairs."""
    given = "one FILE of source<TAB>target pairs, --src FILE --tgt FILE, or --pairs"
    if (files and (src or tgt or pairs)) or (pairs and (src or tgt)):
        raise OptionError(f"give the test data one way: {given}")
    if len(files) > 1:
        raise OptionError(
            f"{len(files)} files given: a translator is scored on {given}"
        )
    if files:
        pairs = files[0]
    if not (pairs or (src and tgt)):
        raise OptionError(f"give the test data: {given}")
    sources, refs = read_parallel(src, tgt, pairs, encoding_errors)
    if not sources:
        raise SeqcliError("the test data has no sentences")
    found = translate_lines(model, Codec(manifest), sources)
    hyps = [h[0][0] for h in found]
    return score(hyps, refs) | {"sentences": len(sources)}
