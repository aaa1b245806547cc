"""Tests of the forge (GitHub) client; a package so its helper modules do not clash."""
