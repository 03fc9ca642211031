"""Printable documents as PDF, in pure Python: nothing but the pinned packages is needed.

- :mod:`printing.pdf`: the fonts (DejaVu, shipped inside matplotlib, covering Vietnamese), the
  markup escape, and :func:`printing.pdf.build`, which lays a story of reportlab flowables on
  A4 pages numbered "page/pages".
- :mod:`printing.formulas`: LaTeX drawn as vector outlines by matplotlib's mathtext, inline in
  reportlab paragraphs, with the source printed instead where mathtext cannot read it.

- :mod:`printing.transcript`: a student's transcript (học bạ), one school year a page.
- :mod:`printing.signing`: the school's PAdES signature on a PDF (pyHanko), its key and
  certificate, and the check of a signed file against the school's certificate.

Like ``scoring``, it imports no Django: callers pass their words already translated (the
papers and key tables of ``assess.papers``, the login cards of ``accounts.login_cards``).
"""
