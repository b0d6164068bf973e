"""What runs in the workers: loiter, spin, faults, any module:function, the flag downloads."""
