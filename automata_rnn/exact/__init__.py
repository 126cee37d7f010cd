"""The trusted exact core: exact runs and the independent certificate checker. Standard library only."""
