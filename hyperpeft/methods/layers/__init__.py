"""Building blocks the methods assemble: adapters, PHM layers, hypernetworks."""
