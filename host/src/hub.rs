//! Files from the Hugging Face Hub: the local cache layout, offline mode, downloads.
