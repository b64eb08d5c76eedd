//! AdamW matching `torch.optim.AdamW`, with its state exportable for checkpoints.
