"""The text classifier (sentiment above all): `seqcli train classifier`,
`seqcli classify`.

config: its settings; model: the nn.Module; data: labelled lines (label<TAB>text or
fastText's __label__ lines) into batches; recipe: training and scoring; decode:
labelling text.
"""
