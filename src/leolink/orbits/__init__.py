"""The space segment: catalogs (TLE, OMM), Walker shells, structure inference, SGP4, frames."""
