"""The model: evidence becomes a prompt, a local llama.cpp model or an OpenAI-compatible server writes the reply."""
