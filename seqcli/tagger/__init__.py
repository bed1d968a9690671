"""The BiLSTM-CRF named-entity tagger: `seqcli train tagger`, `seqcli tag`.

config: its settings; model: the nn.Module; data: CoNLL files and token features
into batches; recipe: training and scoring; decode: tagging tokens and text; export:
the network as an ONNX graph; runtime: that graph under onnxruntime.
"""
