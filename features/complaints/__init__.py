"""Complaints (pre-trial appeals, досудебное обжалование): what may be appealed, who reviews
it, how it is validated, registered, decided and answered. The citizen's flow (`dialogs`) and
the staff API (`admin`) both go through `complaints.service`."""
