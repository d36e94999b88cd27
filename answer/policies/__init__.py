"""Policies for enterprises: validity (in force or not, cited), eligibility criteria and support
standards, and matching a company profile against policies.

Pure functions over core.records Document / Chunk; no HTTP, no index internals.
"""
