"""The Earth side of leolink: the H3 grid, country borders, and regions turned into cells.

`grid` is the only module that imports ``h3``.  Latitude comes before longitude everywhere
except in GeoJSON and Shapely geometries, which are (lon, lat); the flip happens only at that
boundary.
"""
