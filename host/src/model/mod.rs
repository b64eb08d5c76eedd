//! GPT-2 for binary sequence classification with LoRA adapters (PEFT-compatible).
