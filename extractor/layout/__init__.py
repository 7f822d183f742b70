"""Pages → tables: grids of cells, their identity, stitched across pages."""
