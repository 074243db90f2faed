"""Reading documents from page text and word boxes: zones, stamps, fields, review flags, cuts."""
