"""The national matching benchmark (``bench/matching.py`` runs it): a synthetic England
built in a throwaway database, the round run on it, and the figures printed."""
