import os

os.environ.setdefault("CLASSDYN_NO_PROGRESS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
