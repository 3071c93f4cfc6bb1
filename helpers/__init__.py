"""helpers: the model, training, inference and experiment code behind the notebooks."""
__version__ = "0.1.0"
