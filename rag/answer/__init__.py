"""Answering: analyse the question, select evidence, decide to answer or refuse, check and compose the answer."""
