"""consultant: an email-driven consultation service for professional medical coders."""
