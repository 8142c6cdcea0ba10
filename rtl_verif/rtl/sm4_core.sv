// SM4 block cipher engine (GB/T 32907-2016), bit-exact with crypto/sm4.py.
//
// Data: 128-bit blocks on AXI4-Stream, big-endian words (tdata[127:96] is the
// first word X0, as the standard writes the block left to right); tlast
// passes through. Encrypt or decrypt is CTRL.DECRYPT, sampled when a block is
// accepted.
// Timing: one round per clock; a block takes 33 clocks including its load
// (1 load + 32 rounds), back to back, when the output is not stalled.
// Key: the four KEY registers (KEY0 = MK0, the most significant word) and a
// write of CTRL.KEY_LOAD run the key schedule in 32 clocks into a round-key
// store, so decryption (reverse order) runs at the same speed. A key load
// requested while a block is in flight waits for it; blocks wait for the key.
//
// AXI4-Lite register map (32-bit, byte addresses):
//   0x00 CTRL    RW  [0] DECRYPT, [1] KEY_LOAD (write 1: load key; reads 0)
//   0x04 STATUS  RO  [0] KEY_READY, [1] KEY_BUSY (schedule running or pending), [2] BLOCK_BUSY
//   0x08 BLOCKS  RO  blocks completed since reset
//   0x0C ID      RO  0x534D3401 ("SM4", version 1)
//   0x10..0x1C KEY0..KEY3 RW
// Unmapped addresses read 0 and ignore writes (response OKAY).
module sm4_core (
    input  logic         clk,
    input  logic         rst,
    // AXI4-Lite slave
    // Registers are word-aligned (address bits [1:0] unused) and the
    // protection attributes do not matter to this block.
    /* verilator lint_off UNUSEDSIGNAL */
    input  logic [5:0]   s_axil_awaddr,
    input  logic [2:0]   s_axil_awprot,
    input  logic [2:0]   s_axil_arprot,
    input  logic [5:0]   s_axil_araddr,
    /* verilator lint_on UNUSEDSIGNAL */
    input  logic         s_axil_awvalid,
    output logic         s_axil_awready,
    input  logic [31:0]  s_axil_wdata,
    input  logic [3:0]   s_axil_wstrb,
    input  logic         s_axil_wvalid,
    output logic         s_axil_wready,
    output logic [1:0]   s_axil_bresp,
    output logic         s_axil_bvalid,
    input  logic         s_axil_bready,
    input  logic         s_axil_arvalid,
    output logic         s_axil_arready,
    output logic [31:0]  s_axil_rdata,
    output logic [1:0]   s_axil_rresp,
    output logic         s_axil_rvalid,
    input  logic         s_axil_rready,
    // AXI4-Stream blocks
    input  logic [127:0] s_axis_tdata,
    input  logic         s_axis_tvalid,
    output logic         s_axis_tready,
    input  logic         s_axis_tlast,
    output logic [127:0] m_axis_tdata,
    output logic         m_axis_tvalid,
    input  logic         m_axis_tready,
    output logic         m_axis_tlast
);
    localparam logic [31:0] ID = 32'h534D3401;
    localparam logic [127:0] FK = 128'hA3B1BAC6_56AA3350_677D9197_B27022DC;

    // ---- S-box and the two linear transforms ----
    function automatic logic [7:0] sbox(input logic [7:0] a);
        case (a)
            8'h00: return 8'hd6; 8'h01: return 8'h90; 8'h02: return 8'he9; 8'h03: return 8'hfe;
            8'h04: return 8'hcc; 8'h05: return 8'he1; 8'h06: return 8'h3d; 8'h07: return 8'hb7;
            8'h08: return 8'h16; 8'h09: return 8'hb6; 8'h0a: return 8'h14; 8'h0b: return 8'hc2;
            8'h0c: return 8'h28; 8'h0d: return 8'hfb; 8'h0e: return 8'h2c; 8'h0f: return 8'h05;
            8'h10: return 8'h2b; 8'h11: return 8'h67; 8'h12: return 8'h9a; 8'h13: return 8'h76;
            8'h14: return 8'h2a; 8'h15: return 8'hbe; 8'h16: return 8'h04; 8'h17: return 8'hc3;
            8'h18: return 8'haa; 8'h19: return 8'h44; 8'h1a: return 8'h13; 8'h1b: return 8'h26;
            8'h1c: return 8'h49; 8'h1d: return 8'h86; 8'h1e: return 8'h06; 8'h1f: return 8'h99;
            8'h20: return 8'h9c; 8'h21: return 8'h42; 8'h22: return 8'h50; 8'h23: return 8'hf4;
            8'h24: return 8'h91; 8'h25: return 8'hef; 8'h26: return 8'h98; 8'h27: return 8'h7a;
            8'h28: return 8'h33; 8'h29: return 8'h54; 8'h2a: return 8'h0b; 8'h2b: return 8'h43;
            8'h2c: return 8'hed; 8'h2d: return 8'hcf; 8'h2e: return 8'hac; 8'h2f: return 8'h62;
            8'h30: return 8'he4; 8'h31: return 8'hb3; 8'h32: return 8'h1c; 8'h33: return 8'ha9;
            8'h34: return 8'hc9; 8'h35: return 8'h08; 8'h36: return 8'he8; 8'h37: return 8'h95;
            8'h38: return 8'h80; 8'h39: return 8'hdf; 8'h3a: return 8'h94; 8'h3b: return 8'hfa;
            8'h3c: return 8'h75; 8'h3d: return 8'h8f; 8'h3e: return 8'h3f; 8'h3f: return 8'ha6;
            8'h40: return 8'h47; 8'h41: return 8'h07; 8'h42: return 8'ha7; 8'h43: return 8'hfc;
            8'h44: return 8'hf3; 8'h45: return 8'h73; 8'h46: return 8'h17; 8'h47: return 8'hba;
            8'h48: return 8'h83; 8'h49: return 8'h59; 8'h4a: return 8'h3c; 8'h4b: return 8'h19;
            8'h4c: return 8'he6; 8'h4d: return 8'h85; 8'h4e: return 8'h4f; 8'h4f: return 8'ha8;
            8'h50: return 8'h68; 8'h51: return 8'h6b; 8'h52: return 8'h81; 8'h53: return 8'hb2;
            8'h54: return 8'h71; 8'h55: return 8'h64; 8'h56: return 8'hda; 8'h57: return 8'h8b;
            8'h58: return 8'hf8; 8'h59: return 8'heb; 8'h5a: return 8'h0f; 8'h5b: return 8'h4b;
            8'h5c: return 8'h70; 8'h5d: return 8'h56; 8'h5e: return 8'h9d; 8'h5f: return 8'h35;
            8'h60: return 8'h1e; 8'h61: return 8'h24; 8'h62: return 8'h0e; 8'h63: return 8'h5e;
            8'h64: return 8'h63; 8'h65: return 8'h58; 8'h66: return 8'hd1; 8'h67: return 8'ha2;
            8'h68: return 8'h25; 8'h69: return 8'h22; 8'h6a: return 8'h7c; 8'h6b: return 8'h3b;
            8'h6c: return 8'h01; 8'h6d: return 8'h21; 8'h6e: return 8'h78; 8'h6f: return 8'h87;
            8'h70: return 8'hd4; 8'h71: return 8'h00; 8'h72: return 8'h46; 8'h73: return 8'h57;
            8'h74: return 8'h9f; 8'h75: return 8'hd3; 8'h76: return 8'h27; 8'h77: return 8'h52;
            8'h78: return 8'h4c; 8'h79: return 8'h36; 8'h7a: return 8'h02; 8'h7b: return 8'he7;
            8'h7c: return 8'ha0; 8'h7d: return 8'hc4; 8'h7e: return 8'hc8; 8'h7f: return 8'h9e;
            8'h80: return 8'hea; 8'h81: return 8'hbf; 8'h82: return 8'h8a; 8'h83: return 8'hd2;
            8'h84: return 8'h40; 8'h85: return 8'hc7; 8'h86: return 8'h38; 8'h87: return 8'hb5;
            8'h88: return 8'ha3; 8'h89: return 8'hf7; 8'h8a: return 8'hf2; 8'h8b: return 8'hce;
            8'h8c: return 8'hf9; 8'h8d: return 8'h61; 8'h8e: return 8'h15; 8'h8f: return 8'ha1;
            8'h90: return 8'he0; 8'h91: return 8'hae; 8'h92: return 8'h5d; 8'h93: return 8'ha4;
            8'h94: return 8'h9b; 8'h95: return 8'h34; 8'h96: return 8'h1a; 8'h97: return 8'h55;
            8'h98: return 8'had; 8'h99: return 8'h93; 8'h9a: return 8'h32; 8'h9b: return 8'h30;
            8'h9c: return 8'hf5; 8'h9d: return 8'h8c; 8'h9e: return 8'hb1; 8'h9f: return 8'he3;
            8'ha0: return 8'h1d; 8'ha1: return 8'hf6; 8'ha2: return 8'he2; 8'ha3: return 8'h2e;
            8'ha4: return 8'h82; 8'ha5: return 8'h66; 8'ha6: return 8'hca; 8'ha7: return 8'h60;
            8'ha8: return 8'hc0; 8'ha9: return 8'h29; 8'haa: return 8'h23; 8'hab: return 8'hab;
            8'hac: return 8'h0d; 8'had: return 8'h53; 8'hae: return 8'h4e; 8'haf: return 8'h6f;
            8'hb0: return 8'hd5; 8'hb1: return 8'hdb; 8'hb2: return 8'h37; 8'hb3: return 8'h45;
            8'hb4: return 8'hde; 8'hb5: return 8'hfd; 8'hb6: return 8'h8e; 8'hb7: return 8'h2f;
            8'hb8: return 8'h03; 8'hb9: return 8'hff; 8'hba: return 8'h6a; 8'hbb: return 8'h72;
            8'hbc: return 8'h6d; 8'hbd: return 8'h6c; 8'hbe: return 8'h5b; 8'hbf: return 8'h51;
            8'hc0: return 8'h8d; 8'hc1: return 8'h1b; 8'hc2: return 8'haf; 8'hc3: return 8'h92;
            8'hc4: return 8'hbb; 8'hc5: return 8'hdd; 8'hc6: return 8'hbc; 8'hc7: return 8'h7f;
            8'hc8: return 8'h11; 8'hc9: return 8'hd9; 8'hca: return 8'h5c; 8'hcb: return 8'h41;
            8'hcc: return 8'h1f; 8'hcd: return 8'h10; 8'hce: return 8'h5a; 8'hcf: return 8'hd8;
            8'hd0: return 8'h0a; 8'hd1: return 8'hc1; 8'hd2: return 8'h31; 8'hd3: return 8'h88;
            8'hd4: return 8'ha5; 8'hd5: return 8'hcd; 8'hd6: return 8'h7b; 8'hd7: return 8'hbd;
            8'hd8: return 8'h2d; 8'hd9: return 8'h74; 8'hda: return 8'hd0; 8'hdb: return 8'h12;
            8'hdc: return 8'hb8; 8'hdd: return 8'he5; 8'hde: return 8'hb4; 8'hdf: return 8'hb0;
            8'he0: return 8'h89; 8'he1: return 8'h69; 8'he2: return 8'h97; 8'he3: return 8'h4a;
            8'he4: return 8'h0c; 8'he5: return 8'h96; 8'he6: return 8'h77; 8'he7: return 8'h7e;
            8'he8: return 8'h65; 8'he9: return 8'hb9; 8'hea: return 8'hf1; 8'heb: return 8'h09;
            8'hec: return 8'hc5; 8'hed: return 8'h6e; 8'hee: return 8'hc6; 8'hef: return 8'h84;
            8'hf0: return 8'h18; 8'hf1: return 8'hf0; 8'hf2: return 8'h7d; 8'hf3: return 8'hec;
            8'hf4: return 8'h3a; 8'hf5: return 8'hdc; 8'hf6: return 8'h4d; 8'hf7: return 8'h20;
            8'hf8: return 8'h79; 8'hf9: return 8'hee; 8'hfa: return 8'h5f; 8'hfb: return 8'h3e;
            8'hfc: return 8'hd7; 8'hfd: return 8'hcb; 8'hfe: return 8'h39; 8'hff: return 8'h48;
            default: return 8'h00;
        endcase
    endfunction

    function automatic logic [31:0] tau(input logic [31:0] a);
        return {sbox(a[31:24]), sbox(a[23:16]), sbox(a[15:8]), sbox(a[7:0])};
    endfunction

    function automatic logic [31:0] rotl(input logic [31:0] x, input int n);
        return (x << n) | (x >> (32 - n));
    endfunction

    function automatic logic [31:0] t_enc(input logic [31:0] a);  // T = L(tau(.))
        logic [31:0] b;
        b = tau(a);
        return b ^ rotl(b, 2) ^ rotl(b, 10) ^ rotl(b, 18) ^ rotl(b, 24);
    endfunction

    function automatic logic [31:0] t_key(input logic [31:0] a);  // T' = L'(tau(.))
        logic [31:0] b;
        b = tau(a);
        return b ^ rotl(b, 13) ^ rotl(b, 23);
    endfunction

    // CK_i: byte j is (4i + j) * 7 mod 256
    function automatic logic [31:0] ck(input logic [4:0] i);
        logic [7:0] base;
        base = {1'b0, i, 2'b00};
        return {8'(base * 8'd7), 8'((base + 8'd1) * 8'd7), 8'((base + 8'd2) * 8'd7), 8'((base + 8'd3) * 8'd7)};
    endfunction

    // ---- registers ----
    logic         ctrl_decrypt;
    logic [127:0] key;
    logic         key_ready, key_pending, key_run;
    logic [4:0]   key_idx;
    logic [31:0]  k0, k1, k2, k3;       // key-schedule window
    logic [31:0]  rk [32];
    logic [31:0]  block_count;

    // ---- datapath ----
    logic         busy;                 // a block is in its rounds
    logic [4:0]   rnd;                  // round being computed
    logic         dec;                  // this block decrypts
    logic         last_in;              // tlast of this block
    logic [31:0]  x0, x1, x2, x3;       // X_i .. X_i+3; x3 is the newest round output

    wire          out_free  = !m_axis_tvalid || m_axis_tready;
    wire [31:0]   rk_now    = dec ? rk[5'd31 - rnd] : rk[rnd];
    wire [31:0]   x_next    = x0 ^ t_enc(x1 ^ x2 ^ x3 ^ rk_now);
    wire          last_rnd  = busy && rnd == 5'd31;
    wire          advance   = busy && (!last_rnd || out_free);   // the last round waits for the output
    wire          finishing = last_rnd && out_free;

    assign s_axis_tready = key_ready && !key_pending && !key_run && (!busy || finishing);
    wire   load = s_axis_tvalid && s_axis_tready;

    // ---- AXI4-Lite ----
    wire aw_go = s_axil_awvalid && s_axil_wvalid && !s_axil_bvalid;
    assign s_axil_awready = aw_go;
    assign s_axil_wready  = aw_go;
    assign s_axil_bresp   = 2'b00;
    assign s_axil_rresp   = 2'b00;
    wire ar_go = s_axil_arvalid && !s_axil_rvalid;
    assign s_axil_arready = ar_go;

    function automatic logic [31:0] merge(input logic [31:0] old, input logic [31:0] d, input logic [3:0] st);
        for (int b = 0; b < 4; b++) if (st[b]) old[8*b +: 8] = d[8*b +: 8];
        return old;
    endfunction

    logic [31:0] rd;
    always @* begin
        case (s_axil_araddr[5:2])
            4'h0: rd = {31'd0, ctrl_decrypt};
            4'h1: rd = {29'd0, busy, key_pending || key_run, key_ready};
            4'h2: rd = block_count;
            4'h3: rd = ID;
            4'h4: rd = key[127:96];
            4'h5: rd = key[95:64];
            4'h6: rd = key[63:32];
            4'h7: rd = key[31:0];
            default: rd = 32'd0;
        endcase
    end

    always_ff @(posedge clk) begin
        if (rst) begin
            ctrl_decrypt  <= 1'b0;
            key           <= '0;
            key_ready     <= 1'b0;
            key_pending   <= 1'b0;
            key_run       <= 1'b0;
            key_idx       <= '0;
            {k0, k1, k2, k3} <= '0;
            block_count   <= '0;
            busy          <= 1'b0;
            rnd           <= '0;
            dec           <= 1'b0;
            last_in       <= 1'b0;
            {x0, x1, x2, x3} <= '0;
            m_axis_tvalid <= 1'b0;
            m_axis_tdata  <= '0;
            m_axis_tlast  <= 1'b0;
            s_axil_bvalid <= 1'b0;
            s_axil_rvalid <= 1'b0;
            s_axil_rdata  <= '0;
        end else begin
            // register writes
            if (aw_go) begin
                s_axil_bvalid <= 1'b1;
                case (s_axil_awaddr[5:2])
                    4'h0: begin
                        if (s_axil_wstrb[0]) begin
                            ctrl_decrypt <= s_axil_wdata[0];
                            if (s_axil_wdata[1]) begin
                                key_pending <= 1'b1;
                                key_ready   <= 1'b0;
                            end
                        end
                    end
                    4'h4: key[127:96] <= merge(key[127:96], s_axil_wdata, s_axil_wstrb);
                    4'h5: key[95:64]  <= merge(key[95:64], s_axil_wdata, s_axil_wstrb);
                    4'h6: key[63:32]  <= merge(key[63:32], s_axil_wdata, s_axil_wstrb);
                    4'h7: key[31:0]   <= merge(key[31:0], s_axil_wdata, s_axil_wstrb);
                    default: ;
                endcase
            end else if (s_axil_bvalid && s_axil_bready) begin
                s_axil_bvalid <= 1'b0;
            end
            // register reads
            if (ar_go) begin
                s_axil_rvalid <= 1'b1;
                s_axil_rdata  <= rd;
            end else if (s_axil_rvalid && s_axil_rready) begin
                s_axil_rvalid <= 1'b0;
            end

            // key schedule: starts once no block is in flight
            if (key_pending && !key_run && !busy) begin
                key_pending <= 1'b0;
                key_run     <= 1'b1;
                key_idx     <= '0;
                {k0, k1, k2, k3} <= key ^ FK;
            end else if (key_run) begin
                rk[key_idx] <= k0 ^ t_key(k1 ^ k2 ^ k3 ^ ck(key_idx));
                {k0, k1, k2, k3} <= {k1, k2, k3, k0 ^ t_key(k1 ^ k2 ^ k3 ^ ck(key_idx))};
                key_idx <= key_idx + 5'd1;
                if (key_idx == 5'd31) begin
                    key_run   <= 1'b0;
                    key_ready <= !key_pending;  // a newer request restarts the schedule
                end
            end

            // output register
            if (m_axis_tvalid && m_axis_tready) m_axis_tvalid <= 1'b0;
            if (finishing) begin
                m_axis_tvalid <= 1'b1;
                m_axis_tdata  <= {x_next, x3, x2, x1};   // (X35, X34, X33, X32)
                m_axis_tlast  <= last_in;
                block_count   <= block_count + 32'd1;
            end

            // rounds
            if (advance) begin
                {x0, x1, x2, x3} <= {x1, x2, x3, x_next};
                rnd  <= rnd + 5'd1;
                if (last_rnd) busy <= 1'b0;
            end
            if (load) begin
                {x0, x1, x2, x3} <= s_axis_tdata;
                busy    <= 1'b1;
                rnd     <= '0;
                dec     <= ctrl_decrypt;
                last_in <= s_axis_tlast;
            end
        end
    end
endmodule
