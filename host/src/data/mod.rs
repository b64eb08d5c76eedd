//! Datasets: sources, preprocessor plugins, tokenization, batching and the on-disk cache.
