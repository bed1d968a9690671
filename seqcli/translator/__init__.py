"""The encoder-decoder with attention: `seqcli train translator`, `seqcli translate`.

config: its settings and the decoding defaults; model: the nn.Module; data: parallel
text, tokens and ids (Codec); recipe: training and scoring; decode: translating
with greedy or beam search.
"""
