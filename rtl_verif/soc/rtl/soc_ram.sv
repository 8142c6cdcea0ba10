// On-chip RAM of the SoC: AXI4-Lite slave, WORDS 32-bit words, byte strobes,
// one clock of read latency (RVALID the clock after the AR handshake) and one
// clock for a write (BVALID the clock after AW and W, which it takes together).
//
// Image: the words of FIRMWARE (one 32-bit hex word per line, word 0 first,
// little-endian bytes inside a word as RISC-V stores them) are read with
// $readmemh at every clock where `load` is high (hold the SoC in reset
// meanwhile). The build writes the file (rtl_verif/soc/firmware.py); a
// relative name is relative to the simulator's working directory.
// Addresses beyond the RAM wrap (the interconnect gives it a window exactly
// its size).
module soc_ram #(
    parameter int WORDS = 16384,
    parameter FIRMWARE = "firmware.hex"
) (
    input  logic        clk,
    input  logic        rst,
    input  logic        load,
    // Word-aligned accesses: address bits [1:0] and those above the RAM's
    // size are not used.
    /* verilator lint_off UNUSEDSIGNAL */
    input  logic [31:0] s_awaddr,
    input  logic [31:0] s_araddr,
    /* verilator lint_on UNUSEDSIGNAL */
    input  logic        s_awvalid,
    output logic        s_awready,
    input  logic [31:0] s_wdata,
    input  logic [3:0]  s_wstrb,
    input  logic        s_wvalid,
    output logic        s_wready,
    output logic [1:0]  s_bresp,
    output logic        s_bvalid,
    input  logic        s_bready,
    input  logic        s_arvalid,
    output logic        s_arready,
    output logic [31:0] s_rdata,
    output logic [1:0]  s_rresp,
    output logic        s_rvalid,
    input  logic        s_rready
);
    localparam int AW = $clog2(WORDS);

    logic [31:0] mem [WORDS];

    wire wr = s_awvalid && s_wvalid && !s_bvalid;
    assign s_awready = wr;
    assign s_wready  = wr;
    assign s_bresp   = 2'b00;
    assign s_arready = !s_rvalid;
    assign s_rresp   = 2'b00;

    wire [AW-1:0] wa = s_awaddr[AW+1:2];
    wire [AW-1:0] ra = s_araddr[AW+1:2];

    // a plain always: $readmemh is not synthesisable (it models the boot loader)
    always @(posedge clk) begin
        if (load) $readmemh(FIRMWARE, mem);
        if (wr) begin
            for (int b = 0; b < 4; b++)
                if (s_wstrb[b]) mem[wa][8*b +: 8] <= s_wdata[8*b +: 8];
        end
        if (rst) begin
            s_bvalid <= 1'b0;
            s_rvalid <= 1'b0;
            s_rdata  <= '0;
        end else begin
            if (wr) s_bvalid <= 1'b1;
            else if (s_bready) s_bvalid <= 1'b0;
            if (s_arvalid && s_arready) begin
                s_rvalid <= 1'b1;
                s_rdata  <= mem[ra];
            end else if (s_rready) begin
                s_rvalid <= 1'b0;
            end
        end
    end
endmodule
