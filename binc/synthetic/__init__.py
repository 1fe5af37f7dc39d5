"""Synthetic provider exports (registration format v1): realistic, seeded, never a real person.

Entry point: `binc.synthetic.generate.generate_exports`; the recipe is in `recipe.py`.
"""
