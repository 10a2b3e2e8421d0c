// Reads a zip with Java's ZipFile and ZipInputStream (`java ZipRead.java <zip>`)
// and prints one JSON line per entry and reader: name, directory flag, size,
// SHA-256 of the data and the mtime in microseconds, as Java sees them. Names
// without the UTF-8 flag are decoded as ISO-8859-1, one char per byte, so the
// test can compare them with the source's bytes.
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Enumeration;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;

public class ZipRead {
  static String json(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') b.append('\\').append(c);
      else if (c < 0x20 || c > 0x7e) b.append(String.format("\\u%04x", (int) c));
      else b.append(c);
    }
    return b.append('"').toString();
  }

  static String line(String reader, ZipEntry e, InputStream in) throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    byte[] buf = new byte[1 << 16];
    long size = 0;
    for (int n; (n = in.read(buf)) > 0; size += n) sha.update(buf, 0, n);
    StringBuilder hex = new StringBuilder();
    for (byte x : sha.digest()) hex.append(String.format("%02x", x));
    long us = e.getLastModifiedTime() == null ? 0 : e.getLastModifiedTime().to(TimeUnit.MICROSECONDS);
    return "{\"reader\":" + json(reader) + ",\"name\":" + json(e.getName()) + ",\"dir\":" + e.isDirectory()
        + ",\"size\":" + size + ",\"sha256\":\"" + hex + "\",\"mtimeUs\":" + us + "}";
  }

  public static void main(String[] args) throws Exception {
    Path zip = Path.of(args[0]);
    try (ZipFile zf = new ZipFile(zip.toFile(), StandardCharsets.ISO_8859_1)) {
      for (Enumeration<? extends ZipEntry> en = zf.entries(); en.hasMoreElements(); ) {
        ZipEntry e = en.nextElement();
        try (InputStream in = zf.getInputStream(e)) {
          System.out.println(line("ZipFile", e, in));
        }
      }
    } catch (Exception err) {
      System.out.println("{\"reader\":\"ZipFile\",\"error\":" + json(err.toString()) + "}");
    }
    try (ZipInputStream zin = new ZipInputStream(Files.newInputStream(zip), StandardCharsets.ISO_8859_1)) {
      for (ZipEntry e; (e = zin.getNextEntry()) != null; ) System.out.println(line("ZipInputStream", e, zin));
    } catch (Exception err) {
      System.out.println("{\"reader\":\"ZipInputStream\",\"error\":" + json(err.toString()) + "}");
    }
  }
}
