"""validation: theory-versus-simulation-versus-DDPM checks, the paper's figures and the report."""
