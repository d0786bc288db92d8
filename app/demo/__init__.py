"""Data that is not the product's own: the demo account `make run` seeds and the bench's load."""
