"""Workshop and conference themes: current fellows' policy questions clustered by meaning and topic."""
