"""Village people for ledger tests."""
from ledger.members import register_member


def villagers(s, clock):
    """ยายสมศรี (elder), สมชาย (volunteer) and มาลี (both), each with the starting 2 hours."""
    somsri = register_member(s, clock=clock, entered_by="test", name="ยายสมศรี", phone="081-234-5678",
                             role="elder", village="บ้านหนองบัว", moo="5")
    somchai = register_member(s, clock=clock, entered_by="test", name="สมชาย", phone="089-111-2233",
                              role="volunteer", village="บ้านหนองบัว", moo="5", skills="clinic")
    malee = register_member(s, clock=clock, entered_by="test", name="มาลี", phone="089-111-4455",
                            role="both", village="บ้านหนองบัว", moo="4")
    return somsri.id, somchai.id, malee.id
