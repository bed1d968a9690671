"""The character-level language model: `seqcli train charlm`, `seqcli generate`.

config: its settings; model: the nn.Module; data: text into character streams;
recipe: training and scoring; decode: sampling text, with stepper (a PyTorch model)
or numpy_model (one stream of a stored LSTM, without PyTorch).
"""
