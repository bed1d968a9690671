"""What the classifier's tests share: the generated reviews."""

from pathlib import Path

REVIEWS = Path(__file__).resolve().parents[2] / "corpora" / "reviews.tsv"
