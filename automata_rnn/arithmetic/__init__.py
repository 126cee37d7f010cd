"""The arithmetics through which the one definition of each cell is read."""
