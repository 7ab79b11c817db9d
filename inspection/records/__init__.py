"""The on-site record (biên bản kiểm tra): what the team and the unit sign before the team leaves
the commune (DOMAIN.md), as it stands when printed."""
