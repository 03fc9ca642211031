"""Labs, rooms, seats and proctor actions arrive with the proctoring issue."""
